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
//   * lease losses: a watcher thread polls WorkerLease::Held() every 100 ms
//     and counts held -> not held transitions (not while stopping).
// The destructor unregisters the callbacks, so the Meter may outlive it.
//
// Thread-safety: construct and Stop from one thread; the rest from any.
// Everything passed in must outlive the Meter's last Collect and Stop().
#ifndef IDGEN_SERVER_NODE_METRICS_H_
#define IDGEN_SERVER_NODE_METRICS_H_

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "idgen/clock.h"
#include "src/coord/worker_lease.h"
#include "src/server/id_namespace.h"
#include "src/server/reservation_keeper.h"
#include "src/telemetry/meter.h"

namespace idgen::server {

// The cells IdService adds to for one namespace.
struct NamespaceCounters {
  telemetry::CounterCell* issued = nullptr;
  telemetry::HistogramCell* batch_size = nullptr;
};
using NamespaceCounterMap = std::unordered_map<const IdNamespace*, NamespaceCounters>;

class NodeMetrics {
 public:
  NodeMetrics(telemetry::Meter* meter, std::vector<const IdNamespace*> namespaces,
              const ReservationKeeper* keeper, const coord::WorkerLease* lease, Clock* clock,
              std::function<absl::Status()> ready, std::function<bool()> stopping);
  ~NodeMetrics();
  NodeMetrics(const NodeMetrics&) = delete;
  NodeMetrics& operator=(const NodeMetrics&) = delete;

  const NamespaceCounterMap& counters() const { return counters_; }
  // Stops the lease watcher. Idempotent.
  void Stop();

 private:
  void Register(telemetry::Meter* meter);
  void WatchLease();

  telemetry::Meter* const meter_;
  const std::vector<const IdNamespace*> namespaces_;
  const ReservationKeeper* const keeper_;
  const coord::WorkerLease* const lease_;
  Clock* const clock_;
  const std::function<absl::Status()> ready_;
  const std::function<bool()> stopping_;  // a lease released on shutdown is no loss
  NamespaceCounterMap counters_;
  std::atomic<int64_t> lease_losses_{0};
  absl::Notification stop_;
  std::thread watcher_;
};

}  // namespace idgen::server

#endif  // IDGEN_SERVER_NODE_METRICS_H_
