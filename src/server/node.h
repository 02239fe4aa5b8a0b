// Copyright idgen authors.
//
// Node: one `idgen serve` process, assembled. It claims a worker id through a
// LeaseProvider, builds the namespaces above the claimed id's stored
// reservation, keeps that reservation ahead of the clock (a WorkerClaim), and
// serves
//   * gRPC on `listen`: idgen.v1.IdGenerator, grpc.health.v1.Health (overall
//     "" and "idgen.v1.IdGenerator"), server reflection (v1alpha);
//   * HTTP on `admin_listen`: /health (ready: 200 or 503 with the reason),
//     /alive (200 while the process runs), /info (GetInfo as JSON), and with
//     NodeOptions::telemetry /metrics (Prometheus text); gRPC calls and admin
//     requests then get spans and duration metrics.
//
// Life cycle: Create() (validates and tries to claim; nothing served yet),
// Start(), Shutdown(drain) which stops being ready, drains in-flight calls up
// to the deadline, persists the reservation and releases the worker id.
//
// Supervision: a background thread watches the claim. When the lease is lost
// (promise 4: the lease fenced itself), the node stops issuing at once, gives
// the claim up and claims again with backoff, possibly another worker id,
// and serves again by itself once it has one. The same loop waits for a
// worker id when every id was taken at start (or the store was unreachable),
// not ready and saying why meanwhile, and drives the gRPC health status.
//
// Thread-safety: Start/Shutdown from one thread; the rest from any.
#ifndef IDGEN_SERVER_NODE_H_
#define IDGEN_SERVER_NODE_H_

#include <atomic>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "idgen/clock.h"
#include "idgen/internal/mutex.h"
#include "src/coord/worker_id_range.h"
#include "src/coord/worker_lease.h"
#include "src/security/tls_server_config.h"
#include "src/segment/segment_store.h"
#include "src/server/grpc_limits.h"
#include "src/server/id_namespace.h"
#include "src/server/memory_trimmer.h"
#include "src/server/segment_namespace.h"
#include "src/server/server_config.h"
#include "src/server/worker_claim.h"

namespace idgen::http {
class HttpServer;
class Router;
}  // namespace idgen::http

namespace idgen::auth {
class Authenticator;
class Quota;
}  // namespace idgen::auth

namespace idgen::security {
class CertificateWatcher;
class GrpcTlsStage;
}  // namespace idgen::security

namespace idgen::telemetry {
class Telemetry;
}  // namespace idgen::telemetry

namespace idgen::server {

class CallAccess;
class CqServer;
class HealthState;
class IdService;
class NodeMetrics;
class ReflectionResponder;
class SegmentMetrics;

struct NodeOptions {
  std::string listen = "127.0.0.1:50051";
  std::string admin_listen = "127.0.0.1:9464";
  // Limits of the admin HTTP listener (see HttpServer::Options): at most this
  // many connections (a new one beyond it closes the longest-idle one), and
  // a request header must arrive within admin_header_timeout (slowloris).
  size_t admin_max_connections = 256;
  absl::Duration admin_header_timeout = absl::Seconds(10);
  size_t admin_max_header_bytes = 8 * 1024;  // larger: 431
  size_t admin_max_body_bytes = 16 * 1024;   // larger: 413 (the admin API reads no body)
  absl::Duration admin_idle_timeout = absl::Seconds(60);  // keep-alive wait
  std::string node_name;                                  // default: "<hostname>:<grpc port>"
  std::optional<int64_t> worker_id;
  // Caps the worker id space below what the layouts allow (tests, ops).
  std::optional<int64_t> max_workers;
  // Only worker ids in this range are claimed (--worker-ids); it must fit
  // the layouts (Create: INVALID_ARGUMENT naming --worker-ids).
  std::optional<coord::WorkerIdRange> worker_ids;
  ServerConfig config = DefaultServerConfig();
  // gRPC completion queues, one thread each (see CqServer).
  int grpc_threads = 1;
  // Permission bits for the gRPC socket file with "unix:PATH" (CqServer).
  std::optional<uint32_t> socket_mode;
  // SCHED_FIFO priority for the gRPC queue threads; 0 = normal (CqServer).
  int realtime_priority = 0;
  // What one gRPC client may make the listener hold (CqServer, grpc_limits.h).
  GrpcLimits grpc_limits;
  // TLS for the gRPC listener (off unless tls.cert_file is set); checked by
  // Create, served with certificates reloaded from the files.
  security::TlsServerConfig tls;
  // With mutual TLS: the client certificate names (CN or SAN) allowed to
  // take IDs; empty: any certificate from the client CA (CqServer).
  std::vector<std::string> tls_allowed_clients;
  // Who may call and how much (src/auth, call_access.h); shared with the
  // process, which reloads the key file. Null: an open authenticator (every
  // caller anonymous) and no quota.
  std::shared_ptr<auth::Authenticator> authenticator;
  std::shared_ptr<auth::Quota> quota;
  // Freed memory handed back to the kernel after a burst (memory_trimmer.h);
  // a zero period turns it off.
  MemoryTrimmer::Options memory_trim;
  // Backoff between claim attempts while the node holds no worker id.
  absl::Duration claim_retry_min = absl::Milliseconds(100);
  absl::Duration claim_retry_max = absl::Seconds(2);
  // Metrics, traces, logs and /metrics (optional; must outlive the Node).
  telemetry::Telemetry* telemetry = nullptr;
  // Stores of the segment namespaces, by name ("sqlite", "etcd"); not owned,
  // must outlive the Node. A namespace without `store` uses
  // default_segment_store. Create refuses a namespace whose store is absent.
  std::map<std::string, segment::SegmentStore*> segment_stores;
  std::string default_segment_store = "sqlite";
};

// Worker ids every snowflake layout of `config` can hold (the smallest
// worker field wins); 1024 when it has no snowflake namespace.
int64_t LayoutMaxWorkers(const ServerConfig& config);

class Node {
 public:
  // Validates the options and tries once to claim a worker id from `leases`
  // (which must outlive the Node). Errors say what to fix: bad options, a
  // requested worker id that is taken, an unusable store. When every id is
  // taken, or the store is unreachable, the Node is still created: it starts
  // not ready and keeps trying (see Ready()).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Node>> Create(NodeOptions options,
                                                                    coord::LeaseProvider* leases,
                                                                    Clock* clock);
  ~Node();

  // Binds the ports and starts serving. Errors name the address.
  [[nodiscard]] absl::Status Start();
  // Idempotent. Returns once everything is stopped and the id released.
  void Shutdown(absl::Duration drain);

  int grpc_port() const { return grpc_port_; }
  int admin_port() const;
  // The worker id held now, or -1 while the node holds none.
  int64_t worker_id() const;
  // OK when the node can issue IDs; otherwise UNAVAILABLE with the reason.
  [[nodiscard]] absl::Status Ready() const;
  void FillInfo(v1::GetInfoResponse* info) const;
  // Reads the TLS files again now (SIGHUP), for the gRPC and admin
  // listeners; a set that does not load leaves the current one in use (see
  // src/security/certificate_watcher.h). Nothing without TLS.
  void ReloadTls();

 private:
  Node(NodeOptions options, coord::LeaseProvider* leases, coord::AcquireOptions acquire,
       Clock* clock);
  // The claim to issue from, or UNAVAILABLE saying why there is none.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<WorkerClaim>> Current() const;
  // One claim attempt; on failure the reason is kept for Ready().
  [[nodiscard]] absl::Status TryClaim();
  // The lease of `claim` was lost: stop issuing from it and give it up.
  void LoseClaim(const std::shared_ptr<WorkerClaim>& claim);
  void SetWaiting(std::string reason);
  // The segment namespace `name`; UNAVAILABLE while the node drains.
  [[nodiscard]] absl::StatusOr<SegmentNamespace*> Segment(const std::string& name) const;
  // Builds the segment namespaces (leasing starts in the background).
  [[nodiscard]] absl::Status StartSegments();
  // One line to the telemetry logger (stderr without telemetry).
  void Log(const std::string& message, bool warning) const;
  // `last` is the health already published (1 serving, 0 not).
  void Supervise(int last);

  NodeOptions options_;
  coord::LeaseProvider* const leases_;
  const coord::AcquireOptions acquire_;
  Clock* const clock_;
  const int64_t started_at_ms_;
  // Null while the node holds no worker id. Calls copy it and keep the copy
  // for their duration; the supervisor thread replaces it.
  std::atomic<std::shared_ptr<WorkerClaim>> claim_;
  // The last claim given up (supervisor thread only): the next claim starts
  // above what it issued.
  std::shared_ptr<WorkerClaim> retired_;
  mutable idgen::Mutex mu_;
  std::string waiting_reason_ ABSL_GUARDED_BY(mu_);
  std::string backend_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> claims_{0};
  std::atomic<int64_t> losses_{0};
  std::atomic<int64_t> exhausted_{0};
  // The segment stores with spans (with telemetry), by store name; declared
  // before segments_ so the buffers' loaders stop before they go.
  std::map<std::string, std::unique_ptr<segment::SegmentStore>> traced_stores_;
  std::vector<std::unique_ptr<SegmentNamespace>> segments_;
  std::unordered_map<std::string, SegmentNamespace*> segments_by_name_;
  std::unique_ptr<IdService> service_;
  std::unique_ptr<HealthState> health_;
  std::unique_ptr<ReflectionResponder> reflection_;
  std::unique_ptr<CallAccess> access_;  // outlives grpc_server_
  // Before the servers and the watcher that use it, so it is destroyed after
  // them (the admin server's TLS source shares the watcher).
  std::unique_ptr<security::GrpcTlsStage> grpc_tls_stage_;
  std::shared_ptr<security::CertificateWatcher> tls_watcher_;
  std::unique_ptr<CqServer> grpc_server_;
  std::unique_ptr<MemoryTrimmer> trimmer_;
  std::unique_ptr<http::Router> router_;
  std::unique_ptr<http::HttpServer> admin_;
  int grpc_port_ = 0;
  std::atomic<bool> draining_{false};
  std::atomic<bool> stopped_{false};
  absl::Notification stop_supervisor_;
  std::thread supervisor_;
  // Last, so they are destroyed first (their callbacks read the members above).
  std::unique_ptr<SegmentMetrics> segment_metrics_;
  std::unique_ptr<NodeMetrics> metrics_;
  int grpc_log_sink_ = 0;  // GrpcLogBridge::SetSink's handle, 0: none
};

}  // namespace idgen::server

#endif  // IDGEN_SERVER_NODE_H_
