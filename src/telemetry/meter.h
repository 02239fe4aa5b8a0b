// Copyright idgen authors.
//
// Meter: the registry of a process's metric instruments, shaped like
// OpenTelemetry's Meter (one instrumentation scope). It creates synchronous
// instruments (Counter, Histogram, Gauge) and observable ones whose values a
// callback reports at collection time (ObservableCounter for cumulative
// values kept elsewhere, e.g. SnowflakeGenerator::Stats; ObservableGauge
// for current values, e.g. reservation headroom). Collect() snapshots them
// all for an exporter (Prometheus text on /metrics, OTLP).
//
// Instrument names are OpenTelemetry names ("rpc.server.duration"); the
// Prometheus exposition derives its names from them.
//
// Thread-safety: all methods may be called concurrently. Callbacks run on
// the collecting thread, one Collect at a time, and must not call back into
// the Meter. Instruments live as long as the Meter.
//
// Example:
//   Meter meter("idgen", clock);
//   Histogram* h = meter.CreateHistogram("idgen.batch.size", "IDs per request", "{id}",
//                                        {1, 10, 100, 1000});
//   meter.CreateObservableGauge("idgen.lease.ttl_left", "...", "ms",
//       [&](Observer& o) { o.Observe(ttl_ms, {}); });
#ifndef IDGEN_TELEMETRY_METER_H_
#define IDGEN_TELEMETRY_METER_H_

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "idgen/clock.h"
#include "idgen/internal/mutex.h"
#include "src/telemetry/instruments.h"
#include "src/telemetry/metric_data.h"

namespace idgen::telemetry {

// What an observable instrument's callback reports into.
class Observer {
 public:
  explicit Observer(MetricData* out) : out_(out) {}
  void Observe(int64_t value, const Attributes& attrs = {});
  void Observe(double value, const Attributes& attrs = {});

 private:
  MetricData* out_;
};

using ObserveCallback = std::function<void(Observer&)>;

class Meter {
 public:
  // `clock` (outlives the Meter) stamps collections; the start time of
  // every cumulative series is the Meter's creation.
  Meter(std::string scope_name, Clock* clock);
  Meter(const Meter&) = delete;
  Meter& operator=(const Meter&) = delete;

  const std::string& scope_name() const { return scope_name_; }

  // The returned pointers live as long as the Meter. Creating an instrument
  // with a name already used returns a new, separate instrument whose points
  // are reported under the same name: do not.
  Counter* CreateCounter(std::string name, std::string description, std::string unit);
  Gauge* CreateGauge(std::string name, std::string description, std::string unit);
  // `bounds` are the buckets' upper bounds; they are sorted and de-duplicated.
  Histogram* CreateHistogram(std::string name, std::string description, std::string unit,
                             std::vector<double> bounds);
  // `owner` (optional) names who registered the callback, for Unregister.
  void CreateObservableCounter(std::string name, std::string description, std::string unit,
                               ObserveCallback callback, const void* owner = nullptr);
  void CreateObservableGauge(std::string name, std::string description, std::string unit,
                             ObserveCallback callback, const void* owner = nullptr);
  // Drops the callbacks registered by `owner` (their instruments then report
  // nothing); waits for a Collect in progress, so the owner may be destroyed
  // as soon as this returns.
  void Unregister(const void* owner);

  // A snapshot of every instrument, in creation order.
  std::vector<MetricData> Collect();

 private:
  struct Observable {
    InstrumentDescriptor descriptor;
    MetricKind kind;
    ObserveCallback callback;
    const void* owner;
  };
  struct Entry {
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Histogram> histogram;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Observable> observable;
  };

  const std::string scope_name_;
  Clock* const clock_;
  const absl::Time start_;
  Mutex mu_;
  std::deque<Entry> entries_ ABSL_GUARDED_BY(mu_);  // deque: stable addresses
  Mutex collect_mu_;  // one Collect (and so one round of callbacks) at a time
};

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_METER_H_
