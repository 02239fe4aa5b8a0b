// Copyright idgen authors.
//
// Synchronous metric instruments, shaped like the OpenTelemetry metrics API:
// Counter (monotonic, integer), Histogram (explicit buckets, double) and
// Gauge (last value). Each instrument keeps one cell per distinct attribute
// set. Hot paths with fixed attributes Bind() once and keep the cell: the
// cell's Add/Record then costs a few relaxed atomic operations and never
// allocates. Unbound Add/Record looks the cell up under a mutex.
//
// Cells live as long as their instrument (the Meter owns instruments), and
// are never removed, so the number of attribute sets must stay bounded:
// never put IDs, user input or unbounded values into attributes.
//
// Thread-safety: all methods may be called concurrently.
//
// Example:
//   Counter* issued = meter.CreateCounter("idgen.ids.issued", "IDs issued", "{id}");
//   CounterCell* def = issued->Bind({{"idgen.namespace", std::string("default")}});
//   def->Add(batch.size());
#ifndef IDGEN_TELEMETRY_INSTRUMENTS_H_
#define IDGEN_TELEMETRY_INSTRUMENTS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "idgen/internal/mutex.h"
#include "src/telemetry/attributes.h"
#include "src/telemetry/metric_data.h"

namespace idgen::telemetry {

// Name, description and unit of an instrument.
struct InstrumentDescriptor {
  std::string name;
  std::string description;
  std::string unit;
};

// One monotonic integer series. Sharded over cache lines so that threads on
// different cores rarely touch the same line.
class CounterCell {
 public:
  void Add(uint64_t n) { shards_[ShardIndex()].value.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const;

 private:
  static constexpr size_t kShards = 8;
  struct alignas(64) Shard {
    std::atomic<uint64_t> value{0};
  };
  static size_t ShardIndex();
  std::array<Shard, kShards> shards_;
};

// One histogram series with fixed bucket bounds.
class HistogramCell {
 public:
  explicit HistogramCell(const std::vector<double>* bounds);
  void Record(double value);
  // Fills counts, count and sum of `out` (not its bounds or attributes).
  void Snapshot(HistogramPoint* out) const;

 private:
  const std::vector<double>* bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// One last-value series.
class GaugeCell {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Shared parts: the descriptor and the attribute-set -> cell map.
template <typename Cell>
class CellMap {
 public:
  // The cell for `attrs` (canonicalised), created on first use.
  template <typename... Args>
  Cell* Get(const Attributes& attrs, Args... args) {
    Attributes key = Canonical(attrs);
    MutexLock lock(&mu_);
    auto it = cells_.find(key);
    if (it == cells_.end()) {
      it = cells_.emplace(std::move(key), std::make_unique<Cell>(args...)).first;
    }
    return it->second.get();
  }
  template <typename Fn>
  void ForEach(Fn fn) {
    MutexLock lock(&mu_);
    for (const auto& [attrs, cell] : cells_) fn(attrs, *cell);
  }

 private:
  Mutex mu_;
  std::map<Attributes, std::unique_ptr<Cell>> cells_ ABSL_GUARDED_BY(mu_);
};

class Counter {
 public:
  explicit Counter(InstrumentDescriptor d) : descriptor_(std::move(d)) {}
  CounterCell* Bind(const Attributes& attrs) { return cells_.Get(attrs); }
  void Add(uint64_t n, const Attributes& attrs = {}) { Bind(attrs)->Add(n); }
  const InstrumentDescriptor& descriptor() const { return descriptor_; }
  void Collect(MetricData* out);

 private:
  const InstrumentDescriptor descriptor_;
  CellMap<CounterCell> cells_;
};

class Histogram {
 public:
  // `bounds` must be strictly increasing (Meter checks).
  Histogram(InstrumentDescriptor d, std::vector<double> bounds)
      : descriptor_(std::move(d)), bounds_(std::move(bounds)) {}
  HistogramCell* Bind(const Attributes& attrs) { return cells_.Get(attrs, &bounds_); }
  void Record(double v, const Attributes& attrs = {}) { Bind(attrs)->Record(v); }
  const InstrumentDescriptor& descriptor() const { return descriptor_; }
  const std::vector<double>& bounds() const { return bounds_; }
  void Collect(MetricData* out);

 private:
  const InstrumentDescriptor descriptor_;
  const std::vector<double> bounds_;
  CellMap<HistogramCell> cells_;
};

class Gauge {
 public:
  explicit Gauge(InstrumentDescriptor d) : descriptor_(std::move(d)) {}
  GaugeCell* Bind(const Attributes& attrs) { return cells_.Get(attrs); }
  void Set(double v, const Attributes& attrs = {}) { Bind(attrs)->Set(v); }
  const InstrumentDescriptor& descriptor() const { return descriptor_; }
  void Collect(MetricData* out);

 private:
  const InstrumentDescriptor descriptor_;
  CellMap<GaugeCell> cells_;
};

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_INSTRUMENTS_H_
