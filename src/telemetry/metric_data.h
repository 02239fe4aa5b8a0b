// Copyright idgen authors.
//
// MetricData: a snapshot of one instrument, as collected by Meter::Collect
// and consumed by the exporters (Prometheus text, OTLP). Cumulative
// temporality throughout: sums and histograms count from the meter's start.
//
// Thread-safety: plain values.
#ifndef IDGEN_TELEMETRY_METRIC_DATA_H_
#define IDGEN_TELEMETRY_METRIC_DATA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "src/telemetry/attributes.h"

namespace idgen::telemetry {

enum class MetricKind {
  kCounter,    // monotonic sum (Prometheus counter, OTLP Sum is_monotonic)
  kGauge,      // last value (Prometheus gauge, OTLP Gauge)
  kHistogram,  // explicit-bucket histogram
};

struct NumberPoint {
  Attributes attributes;  // canonical (sorted by key)
  bool is_int = true;
  int64_t as_int = 0;
  double as_double = 0;
  double value() const { return is_int ? static_cast<double>(as_int) : as_double; }
};

struct HistogramPoint {
  Attributes attributes;
  std::vector<double> bounds;     // upper bounds, increasing (no +Inf)
  std::vector<uint64_t> buckets;  // bounds.size() + 1 counts, NOT cumulative
  uint64_t count = 0;
  double sum = 0;
};

struct MetricData {
  std::string name;  // OpenTelemetry name, e.g. "rpc.server.duration"
  std::string description;
  std::string unit;  // UCUM, e.g. "ms", "s", "{id}"
  MetricKind kind = MetricKind::kCounter;
  absl::Time start_time;  // cumulative start
  absl::Time time;        // when collected
  std::vector<NumberPoint> numbers;
  std::vector<HistogramPoint> histograms;
};

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_METRIC_DATA_H_
