// Copyright idgen authors.
#include "src/server/segment_metrics.h"

namespace idgen::server {
namespace {

using telemetry::Attributes;
using telemetry::Observer;

Attributes NsAttrs(const SegmentNamespace& ns) {
  return {{"idgen.namespace", ns.name()}, {"idgen.segment.store", ns.buffer().store_name()}};
}

}  // namespace

SegmentMetrics::SegmentMetrics(telemetry::Meter* meter)
    : meter_(meter),
      lease_duration_(meter->CreateHistogram(
          "idgen.segment.lease.duration", "Duration of segment leases at the store", "ms",
          {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000})) {}

SegmentMetrics::~SegmentMetrics() { meter_->Unregister(this); }

std::function<void(absl::Duration, bool)> SegmentMetrics::LeaseObserver(const std::string& store) {
  telemetry::HistogramCell* ok =
      lease_duration_->Bind({{"idgen.segment.store", store}, {"outcome", std::string("ok")}});
  telemetry::HistogramCell* error =
      lease_duration_->Bind({{"idgen.segment.store", store}, {"outcome", std::string("error")}});
  return [ok, error](absl::Duration elapsed, bool success) {
    (success ? ok : error)->Record(absl::ToDoubleMilliseconds(elapsed));
  };
}

void SegmentMetrics::Observe(const std::vector<std::unique_ptr<SegmentNamespace>>* namespaces) {
  meter_->CreateObservableCounter(
      "idgen.segment.leases", "Segment leases, by namespace, store and outcome", "{lease}",
      [namespaces](Observer& o) {
        for (const auto& ns : *namespaces) {
          const segment::SegmentBuffer::Stats st = ns->buffer().stats();
          Attributes a = NsAttrs(*ns);
          a.emplace_back("outcome", std::string("ok"));
          o.Observe(static_cast<int64_t>(st.leases_ok), a);
          a.back().second = std::string("error");
          o.Observe(static_cast<int64_t>(st.leases_failed), a);
        }
      },
      this);
  meter_->CreateObservableGauge(
      "idgen.segment.step", "Size of the next segment lease", "{id}",
      [namespaces](Observer& o) {
        for (const auto& ns : *namespaces) {
          o.Observe(static_cast<int64_t>(ns->buffer().stats().step), NsAttrs(*ns));
        }
      },
      this);
  meter_->CreateObservableGauge(
      "idgen.segment.buffered", "IDs leased by this node and not yet handed out", "{id}",
      [namespaces](Observer& o) {
        for (const auto& ns : *namespaces) {
          o.Observe(static_cast<int64_t>(ns->buffer().stats().buffered), NsAttrs(*ns));
        }
      },
      this);
  meter_->CreateObservableGauge(
      "idgen.segment.headroom.ids",
      "IDs the counter has left from this node's next ID to max_value", "{id}",
      [namespaces](Observer& o) {
        for (const auto& ns : *namespaces) {
          o.Observe(static_cast<int64_t>(ns->buffer().stats().headroom_ids), NsAttrs(*ns));
        }
      },
      this);
  meter_->CreateObservableGauge(
      "idgen.segment.headroom",
      "How long the counter's headroom lasts at this node's current rate (absent while idle)", "s",
      [namespaces](Observer& o) {
        for (const auto& ns : *namespaces) {
          const double seconds = SegmentNamespace::HeadroomSeconds(ns->buffer().stats());
          if (seconds >= 0) o.Observe(seconds, NsAttrs(*ns));
        }
      },
      this);
  meter_->CreateObservableCounter(
      "idgen.segment.empty_waits",
      "Requests that found too few IDs buffered and waited for a lease (or failed)", "{request}",
      [namespaces](Observer& o) {
        for (const auto& ns : *namespaces) {
          o.Observe(static_cast<int64_t>(ns->buffer().stats().empty_waits), NsAttrs(*ns));
        }
      },
      this);
}

}  // namespace idgen::server
