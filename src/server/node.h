// Copyright idgen authors.
//
// Node: one `idgen serve` process, assembled. It claims a worker id through a
// LeaseProvider, builds the namespaces above the claimed id's stored
// reservation, keeps that reservation ahead of the clock, and serves
//   * gRPC on `listen`: idgen.v1.IdGenerator, grpc.health.v1.Health (overall
//     "" and "idgen.v1.IdGenerator"), server reflection (v1alpha);
//   * HTTP on `admin_listen`: /health (ready: 200 or 503 with the reason),
//     /alive (200 while the process runs), /info (GetInfo as JSON), and with
//     NodeOptions::telemetry /metrics (Prometheus text); gRPC calls and admin
//     requests then get spans and duration metrics.
//
// Life cycle: Create() (claims and validates; nothing served yet), Start(),
// Shutdown(drain) which stops being ready, drains in-flight calls up to the
// deadline, persists the reservation and releases the worker id.
//
// Thread-safety: Start/Shutdown from one thread; the rest from any.
#ifndef IDGEN_SERVER_NODE_H_
#define IDGEN_SERVER_NODE_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "idgen/clock.h"
#include "src/coord/worker_lease.h"
#include "src/server/id_namespace.h"
#include "src/server/server_config.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace idgen::http {
class HttpServer;
class Router;
}  // namespace idgen::http

namespace idgen::telemetry {
class Telemetry;
}  // namespace idgen::telemetry

namespace idgen::server {

class IdService;
class NodeMetrics;
class ReservationKeeper;

struct NodeOptions {
  std::string listen = "127.0.0.1:50051";
  std::string admin_listen = "127.0.0.1:9464";
  std::string node_name;  // default: "<hostname>:<grpc port>"
  std::optional<int64_t> worker_id;
  // Caps the worker id space below what the layouts allow (tests, ops).
  std::optional<int64_t> max_workers;
  ServerConfig config = DefaultServerConfig();
  // Metrics, traces and /metrics (optional; must outlive the Node).
  telemetry::Telemetry* telemetry = nullptr;
};

class Node {
 public:
  // Claims a worker id from `leases` (which must outlive the Node) and builds
  // the namespaces. Errors say what to fix (taken worker id, no free id,
  // unwritable state dir, reservation store failing).
  static absl::StatusOr<std::unique_ptr<Node>> Create(NodeOptions options,
                                                      coord::LeaseProvider* leases, Clock* clock);
  ~Node();

  // Binds the ports and starts serving. Errors name the address.
  absl::Status Start();
  // Idempotent. Returns once everything is stopped and the id released.
  void Shutdown(absl::Duration drain);

  int grpc_port() const { return grpc_port_; }
  int admin_port() const;
  int64_t worker_id() const { return lease_->worker_id(); }
  // OK when the node can issue IDs; otherwise UNAVAILABLE with the reason.
  absl::Status Ready() const;
  void FillInfo(v1::GetInfoResponse* info) const;

 private:
  Node(NodeOptions options, std::unique_ptr<coord::WorkerLease> lease, Clock* clock);
  absl::Status Gate() const;
  void HealthLoop();

  NodeOptions options_;
  std::unique_ptr<coord::WorkerLease> lease_;
  Clock* const clock_;
  const int64_t started_at_ms_;
  std::vector<std::unique_ptr<IdNamespace>> namespaces_;
  std::unique_ptr<ReservationKeeper> keeper_;
  std::unique_ptr<IdService> service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<http::Router> router_;
  std::unique_ptr<http::HttpServer> admin_;
  int grpc_port_ = 0;
  std::atomic<bool> draining_{false};
  std::atomic<bool> stopped_{false};
  absl::Notification stop_health_;
  std::thread health_thread_;
  // Last, so it is destroyed first (its callbacks read the members above).
  std::unique_ptr<NodeMetrics> metrics_;
};

}  // namespace idgen::server

#endif  // IDGEN_SERVER_NODE_H_
