// Copyright idgen authors.
//
// CqServer: the node's gRPC port, on gRPC's completion-queue API with
// threads of our own. It serves
//   * idgen.v1.IdGenerator (IdService),
//   * grpc.health.v1.Health (Check and Watch, from a HealthState),
//   * grpc.reflection.v1alpha.ServerReflection (from a ReflectionResponder).
//
// Why not the callback API, or gRPC's own health and reflection services:
// gRPC 1.51 (epoll1) lets one thread at a time wait in epoll and, whenever it
// wakes up with work, hands the waiting over to another idle polling thread.
// The callback API always brings two such threads of its own (and the
// built-in reflection service, a synchronous one, more), so at moderate load
// nearly every request costs a thread hand-off and a context switch. With
// every service on our queues there are exactly `threads` pollers: with one,
// a request is read, answered and written by one thread that never hands off
// (see docs/ARCHITECTURE.md and docs/BENCHMARKS.md for the measurements).
//
// Every RPC is an object that requests its call, answers it and deletes
// itself; a matched call requests the next one first, so any number of calls
// may be open at once. Unary calls whose deadline already passed get
// DEADLINE_EXCEEDED without work.
//
// Life cycle: Start() binds and serves; Shutdown(deadline) ends health
// Watch calls (after NOT_SERVING), stops accepting calls, lets open calls
// finish until `deadline`, cancels the rest and joins the threads.
//
// Thread-safety: Shutdown may be called from any one thread; port() from any.
#ifndef IDGEN_SERVER_CQ_SERVER_H_
#define IDGEN_SERVER_CQ_SERVER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/server/grpc_limits.h"

namespace idgen::server {

class CallAccess;
class HealthState;
class IdService;
class ReflectionResponder;

// The highest SCHED_FIFO priority Linux offers (sched_get_priority_max).
inline constexpr int kMaxRealtimePriority = 99;

// OK when this process may run threads under SCHED_FIFO at `priority`
// (0: always); otherwise what CqServer::Start would return. Changes nothing.
[[nodiscard]] absl::Status CheckRealtimePriority(int priority);

struct CqServerOptions {
  std::string listen;  // host:port; port 0 picks a free one
  // Completion queues, each drained by one thread: 1 serves the most
  // requests per CPU second; more help only with many busy connections on a
  // machine with spare cores.
  int threads = 1;
  // With a "unix:PATH" listen address: permission bits for the socket file,
  // set right after it is bound (unset: as the process umask left them).
  std::optional<uint32_t> socket_mode;
  // 0: the queue threads run under the normal scheduler. 1..99: they run
  // under SCHED_FIFO at that priority, so ordinary tasks and most kernel
  // threads wait while they have work (the tail latency of a node that shares
  // its CPU; see docs/OPERATIONS.md for the hazard). Only the queue threads:
  // the admin port, telemetry and gRPC's own timer threads stay normal.
  int realtime_priority = 0;
  // Threads for the calls that may wait (a segment namespace whose buffer
  // is empty, IdService::MayWait; see blocking_pool.h), 0..64; 0: every call
  // is answered on the queue threads.
  int blocking_threads = 0;
  // What one client may make the listener hold (grpc_limits.h).
  GrpcLimits limits;
  // TLS or mutual TLS (src/security/grpc_tls.h); null: plaintext.
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // With mutual TLS: the certificate names (CN or SAN) that may call
  // idgen.v1.IdGenerator and reflection; empty: every verified client.
  // Others get PERMISSION_DENIED naming what they presented, and
  // `on_refused` (optional) hears the same message. Health stays open to
  // every client that completed the handshake (load balancers).
  std::vector<std::string> allowed_clients;
  std::function<void(const std::string&)> on_refused;
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  // Who may call idgen.v1.IdGenerator, its scopes, namespaces and quotas
  // (call_access.h); null: no checks. Must outlive the server.
  const CallAccess* access = nullptr;
};

// What the server answers with. `ids` is required; a null `health` or
// `reflection` leaves that service out. All must outlive the CqServer.
struct CqServices {
  const IdService* ids = nullptr;
  HealthState* health = nullptr;
  const ReflectionResponder* reflection = nullptr;
};

class CqServer {
 public:
  // INVALID_ARGUMENT for limits CheckGrpcLimits refuses;
  // UNAVAILABLE naming the address when it cannot listen there; for
  // "unix:PATH", what PrepareUnixSocket (unix_socket.h) returns;
  // PERMISSION_DENIED when the process may not use SCHED_FIFO at
  // `realtime_priority` (nothing is left serving then).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<CqServer>> Start(CqServerOptions options,
                                                                       CqServices services);
  ~CqServer();  // Shutdown(now) unless done
  CqServer(const CqServer&) = delete;
  CqServer& operator=(const CqServer&) = delete;

  int port() const { return port_; }
  // Idempotent; returns when every call and thread is done.
  void Shutdown(std::chrono::system_clock::time_point deadline);

 private:
  struct Impl;
  explicit CqServer(std::unique_ptr<Impl> impl, int port);
  // SCHED_FIFO at `priority` for every queue thread.
  [[nodiscard]] absl::Status UseRealtimePriority(int priority);

  std::unique_ptr<Impl> impl_;
  const int port_;
};

}  // namespace idgen::server

#endif  // IDGEN_SERVER_CQ_SERVER_H_
