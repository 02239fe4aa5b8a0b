// Copyright idgen authors.
//
// SegmentMetrics: the metrics of a node's `segment` namespaces (names, units
// and labels in docs/OBSERVABILITY.md):
//   idgen.segment.leases         counter   leases by namespace, store, outcome
//   idgen.segment.lease.duration histogram store call time by store, outcome
//   idgen.segment.step           gauge     size of the next lease
//   idgen.segment.buffered       gauge     IDs leased, not yet handed out
//   idgen.segment.empty_waits    counter   requests that found too few IDs buffered
//   idgen.segment.headroom.ids   gauge     IDs left up to max_value
//   idgen.segment.headroom       gauge     seconds they last at the current rate
// The destructor unregisters the callbacks, so the Meter may outlive it.
//
// Thread-safety: construct and Observe from one thread; LeaseObserver's
// functions from any.
#ifndef IDGEN_SERVER_SEGMENT_METRICS_H_
#define IDGEN_SERVER_SEGMENT_METRICS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "src/server/segment_namespace.h"
#include "src/telemetry/meter.h"

namespace idgen::server {

class SegmentMetrics {
 public:
  explicit SegmentMetrics(telemetry::Meter* meter);
  ~SegmentMetrics();
  SegmentMetrics(const SegmentMetrics&) = delete;
  SegmentMetrics& operator=(const SegmentMetrics&) = delete;

  // What SegmentNamespace::Create is told of each lease with.
  std::function<void(absl::Duration, bool)> LeaseObserver(const std::string& store);
  // Reports the namespaces' buffer statistics from now on; `namespaces`
  // must outlive this object.
  void Observe(const std::vector<std::unique_ptr<SegmentNamespace>>* namespaces);

 private:
  telemetry::Meter* const meter_;
  telemetry::Histogram* const lease_duration_;
};

}  // namespace idgen::server

#endif  // IDGEN_SERVER_SEGMENT_METRICS_H_
