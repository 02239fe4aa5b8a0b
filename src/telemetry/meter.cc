// Copyright idgen authors.
#include "src/telemetry/meter.h"

#include <algorithm>

namespace idgen::telemetry {

void Observer::Observe(int64_t value, const Attributes& attrs) {
  NumberPoint p;
  p.attributes = Canonical(attrs);
  p.as_int = value;
  out_->numbers.push_back(std::move(p));
}

void Observer::Observe(double value, const Attributes& attrs) {
  NumberPoint p;
  p.attributes = Canonical(attrs);
  p.is_int = false;
  p.as_double = value;
  out_->numbers.push_back(std::move(p));
}

Meter::Meter(std::string scope_name, Clock* clock)
    : scope_name_(std::move(scope_name)), clock_(clock), start_(clock->WallNow()) {}

Counter* Meter::CreateCounter(std::string name, std::string description, std::string unit) {
  auto c = std::make_unique<Counter>(
      InstrumentDescriptor{std::move(name), std::move(description), std::move(unit)});
  Counter* raw = c.get();
  MutexLock lock(&mu_);
  entries_.push_back(Entry{.counter = std::move(c)});
  return raw;
}

Gauge* Meter::CreateGauge(std::string name, std::string description, std::string unit) {
  auto g = std::make_unique<Gauge>(
      InstrumentDescriptor{std::move(name), std::move(description), std::move(unit)});
  Gauge* raw = g.get();
  MutexLock lock(&mu_);
  entries_.push_back(Entry{.gauge = std::move(g)});
  return raw;
}

Histogram* Meter::CreateHistogram(std::string name, std::string description, std::string unit,
                                  std::vector<double> bounds) {
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  auto h = std::make_unique<Histogram>(
      InstrumentDescriptor{std::move(name), std::move(description), std::move(unit)},
      std::move(bounds));
  Histogram* raw = h.get();
  MutexLock lock(&mu_);
  entries_.push_back(Entry{.histogram = std::move(h)});
  return raw;
}

void Meter::CreateObservableCounter(std::string name, std::string description, std::string unit,
                                    ObserveCallback callback, const void* owner) {
  auto o = std::make_unique<Observable>(
      Observable{InstrumentDescriptor{std::move(name), std::move(description), std::move(unit)},
                 MetricKind::kCounter, std::move(callback), owner});
  MutexLock lock(&mu_);
  entries_.push_back(Entry{.observable = std::move(o)});
}

void Meter::CreateObservableGauge(std::string name, std::string description, std::string unit,
                                  ObserveCallback callback, const void* owner) {
  auto o = std::make_unique<Observable>(
      Observable{InstrumentDescriptor{std::move(name), std::move(description), std::move(unit)},
                 MetricKind::kGauge, std::move(callback), owner});
  MutexLock lock(&mu_);
  entries_.push_back(Entry{.observable = std::move(o)});
}

void Meter::Unregister(const void* owner) {
  MutexLock collect_lock(&collect_mu_);
  MutexLock lock(&mu_);
  for (Entry& e : entries_) {
    if (e.observable && e.observable->owner == owner) e.observable->callback = nullptr;
  }
}

std::vector<MetricData> Meter::Collect() {
  MutexLock collect_lock(&collect_mu_);
  // Instruments are never removed, so raw pointers taken under the lock stay
  // valid; callbacks then run without holding mu_.
  std::vector<const Entry*> entries;
  {
    MutexLock lock(&mu_);
    entries.reserve(entries_.size());
    for (const Entry& e : entries_) entries.push_back(&e);
  }
  const absl::Time now = clock_->WallNow();
  std::vector<MetricData> out;
  out.reserve(entries.size());
  for (const Entry* e : entries) {
    MetricData d;
    if (e->counter) {
      e->counter->Collect(&d);
    } else if (e->histogram) {
      e->histogram->Collect(&d);
    } else if (e->gauge) {
      e->gauge->Collect(&d);
    } else {
      d.name = e->observable->descriptor.name;
      d.description = e->observable->descriptor.description;
      d.unit = e->observable->descriptor.unit;
      d.kind = e->observable->kind;
      if (e->observable->callback) {
        Observer observer(&d);
        e->observable->callback(observer);
      }
    }
    d.start_time = start_;
    d.time = now;
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace idgen::telemetry
