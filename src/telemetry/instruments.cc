// Copyright idgen authors.
#include "src/telemetry/instruments.h"

#include <algorithm>

namespace idgen::telemetry {

size_t CounterCell::ShardIndex() {
  static std::atomic<size_t> next{0};
  thread_local const size_t index = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return index;
}

uint64_t CounterCell::Value() const {
  uint64_t total = 0;
  for (const Shard& s : shards_) total += s.value.load(std::memory_order_relaxed);
  return total;
}

HistogramCell::HistogramCell(const std::vector<double>* bounds)
    : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds->size() + 1]) {
  for (size_t i = 0; i <= bounds_->size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void HistogramCell::Record(double value) {
  // Buckets are upper-inclusive, as Prometheus' `le` and OTLP's
  // explicit_bounds define them: bucket i holds bounds[i-1] < v <= bounds[i].
  const size_t i = static_cast<size_t>(std::lower_bound(bounds_->begin(), bounds_->end(), value) -
                                       bounds_->begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  double sum = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(sum, sum + value, std::memory_order_relaxed)) {
  }
  count_.fetch_add(1, std::memory_order_relaxed);
}

void HistogramCell::Snapshot(HistogramPoint* out) const {
  out->buckets.resize(bounds_->size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_->size(); ++i) {
    out->buckets[i] = buckets_[i].load(std::memory_order_relaxed);
    total += out->buckets[i];
  }
  // The bucket counts are the truth: count must equal their sum even when a
  // Record runs concurrently with the snapshot.
  out->count = total;
  out->sum = sum_.load(std::memory_order_relaxed);
}

namespace {
void Describe(const InstrumentDescriptor& d, MetricKind kind, MetricData* out) {
  out->name = d.name;
  out->description = d.description;
  out->unit = d.unit;
  out->kind = kind;
}
}  // namespace

void Counter::Collect(MetricData* out) {
  Describe(descriptor_, MetricKind::kCounter, out);
  cells_.ForEach([out](const Attributes& attrs, const CounterCell& cell) {
    NumberPoint p;
    p.attributes = attrs;
    p.as_int = static_cast<int64_t>(cell.Value());
    out->numbers.push_back(std::move(p));
  });
}

void Histogram::Collect(MetricData* out) {
  Describe(descriptor_, MetricKind::kHistogram, out);
  cells_.ForEach([this, out](const Attributes& attrs, const HistogramCell& cell) {
    HistogramPoint p;
    p.attributes = attrs;
    p.bounds = bounds_;
    cell.Snapshot(&p);
    out->histograms.push_back(std::move(p));
  });
}

void Gauge::Collect(MetricData* out) {
  Describe(descriptor_, MetricKind::kGauge, out);
  cells_.ForEach([out](const Attributes& attrs, const GaugeCell& cell) {
    NumberPoint p;
    p.attributes = attrs;
    p.is_int = false;
    p.as_double = cell.Value();
    out->numbers.push_back(std::move(p));
  });
}

}  // namespace idgen::telemetry
