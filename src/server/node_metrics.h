// Copyright idgen authors.
//
// NodeMetrics: the domain metrics of an `idgen serve` node, registered on a
// telemetry::Meter (names, units and labels in docs/OBSERVABILITY.md):
//   * synchronous, counted by IdService on the request path: IDs issued and
//     batch sizes per namespace (cells bound once, no allocation per call);
//   * observable, read at collection time from what the node already keeps:
//     SnowflakeGenerator::Stats (clock regressions, waits, borrowed time,
//     sequence-exhaustion waits, refusals), the clock lag, the reservation
//     headroom, the lease (held, TTL left) and readiness;
//   * lease claims, losses (fenced) and exhausted claim attempts: the node's
//     own counts.
// The node's worker claim can change at run time (a fenced node claims
// again), so every callback asks for the current claim; with none, the
// per-claim metrics are simply absent. Generator statistics restart from zero
// with a new claim, as counters do after a restart.
// The destructor unregisters the callbacks, so the Meter may outlive it.
//
// Thread-safety: construct from one thread; the rest from any.
// Everything passed in must outlive the Meter's last Collect and Stop().
#ifndef IDGEN_SERVER_NODE_METRICS_H_
#define IDGEN_SERVER_NODE_METRICS_H_

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "absl/status/status.h"
#include "idgen/clock.h"
#include "src/server/grpc_log_bridge.h"
#include "src/server/id_namespace.h"
#include "src/server/server_config.h"
#include "src/server/worker_claim.h"
#include "src/telemetry/meter.h"

namespace idgen::server {

// The cells IdService adds to for one namespace.
struct NamespaceCounters {
  telemetry::CounterCell* issued = nullptr;
  telemetry::HistogramCell* batch_size = nullptr;
};
// What the node counts about its claims (GetInfo's lease counters).
struct LeaseCounts {
  int64_t claims = 0;              // worker ids claimed
  int64_t losses = 0;              // leases lost (fenced)
  int64_t exhausted_attempts = 0;  // claim attempts that found every id taken
};

// By namespace name.
using NamespaceCounterMap = std::unordered_map<std::string, NamespaceCounters>;

class NodeMetrics {
 public:
  // The node's current claim, or null while it holds none.
  using ClaimFn = std::function<std::shared_ptr<WorkerClaim>()>;

  NodeMetrics(telemetry::Meter* meter, const ServerConfig* config, ClaimFn claim, Clock* clock,
              std::function<absl::Status()> ready, std::function<LeaseCounts()> lease_counts);
  ~NodeMetrics();
  NodeMetrics(const NodeMetrics&) = delete;
  NodeMetrics& operator=(const NodeMetrics&) = delete;

  const NamespaceCounterMap& counters() const { return counters_; }

 private:
  void Register(telemetry::Meter* meter);
  // Calls f(ns, gen) for every snowflake namespace of the current claim.
  void ForEachSnowflake(const std::function<void(const IdNamespace&, SnowflakeGenerator&)>& f);

  telemetry::Meter* const meter_;
  const ServerConfig* const config_;
  const ClaimFn claim_;
  Clock* const clock_;
  const std::function<absl::Status()> ready_;
  const std::function<LeaseCounts()> lease_counts_;
  NamespaceCounterMap counters_;
};

// The refusals `bridge` counts, as the counter idgen.grpc.rejected
// (Prometheus: idgen_grpc_rejected_total) with the attribute `reason`
// (GrpcRefusalName), and the gRPC log lines its rate limit dropped
// (idgen.grpc.log.dropped: idgen_grpc_log_dropped_total). `bridge` is process-wide and never
// destroyed; the callback is dropped by meter->Unregister(owner).
void RegisterGrpcRefusalMetrics(telemetry::Meter* meter, const GrpcLogBridge* bridge,
                                const void* owner);

}  // namespace idgen::server

#endif  // IDGEN_SERVER_NODE_METRICS_H_
