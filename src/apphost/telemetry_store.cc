// Copyright idgen authors.
#include "src/apphost/telemetry_store.h"

#include <algorithm>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace idgen::apphost {
namespace {

namespace otlp_common = opentelemetry::proto::common::v1;
namespace otlp_metrics = opentelemetry::proto::metrics::v1;
namespace otlp_trace = opentelemetry::proto::trace::v1;
using Json = nlohmann::json;

std::string Hex(const std::string& bytes) { return absl::BytesToHexString(bytes); }

std::string ValueText(const otlp_common::AnyValue& v) {
  switch (v.value_case()) {
    case otlp_common::AnyValue::kStringValue:
      return v.string_value();
    case otlp_common::AnyValue::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case otlp_common::AnyValue::kIntValue:
      return absl::StrCat(v.int_value());
    case otlp_common::AnyValue::kDoubleValue:
      return absl::StrCat(v.double_value());
    default:
      return "";
  }
}

template <typename KVs>
std::string Attr(const KVs& attrs, const std::string& key) {
  for (const otlp_common::KeyValue& kv : attrs) {
    if (kv.key() == key) return ValueText(kv.value());
  }
  return "";
}

std::string KindName(otlp_trace::Span::SpanKind k) {
  switch (k) {
    case otlp_trace::Span::SPAN_KIND_SERVER:
      return "server";
    case otlp_trace::Span::SPAN_KIND_CLIENT:
      return "client";
    case otlp_trace::Span::SPAN_KIND_INTERNAL:
      return "internal";
    case otlp_trace::Span::SPAN_KIND_PRODUCER:
      return "producer";
    case otlp_trace::Span::SPAN_KIND_CONSUMER:
      return "consumer";
    default:
      return "unspecified";
  }
}

double NumberValue(const otlp_metrics::NumberDataPoint& p) {
  return p.value_case() == otlp_metrics::NumberDataPoint::kAsInt ? static_cast<double>(p.as_int())
                                                                 : p.as_double();
}

// The upper bound of the bucket holding the q-quantile of `counts`
// (explicit bounds; the overflow bucket reports the last bound).
double Quantile(const std::vector<double>& bounds, const std::vector<uint64_t>& counts, double q) {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  if (total == 0 || bounds.empty()) return 0;
  const double target = q * static_cast<double>(total);
  uint64_t seen = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    seen += counts[i];
    if (static_cast<double>(seen) >= target) return i < bounds.size() ? bounds[i] : bounds.back();
  }
  return bounds.back();
}

// Per map/deque entry: node pointers, allocator header (an estimate).
constexpr size_t kEntryOverhead = 64;

TelemetryStore::Limits Sanitize(TelemetryStore::Limits l) {
  l.max_spans = std::max<size_t>(1, l.max_spans);
  l.max_points = std::max<size_t>(2, l.max_points);
  l.max_value_bytes = std::max<size_t>(16, l.max_value_bytes);
  return l;
}

}  // namespace

TelemetryStore::TelemetryStore(Limits limits) : limits_(Sanitize(limits)) {}

TelemetryStore::TelemetryStore(size_t max_spans, size_t max_points)
    : TelemetryStore(Limits{.max_spans = max_spans, .max_points = max_points}) {}

void TelemetryStore::Append(std::deque<Point>& series, Point p) const {
  series.push_back(p);
  while (series.size() > limits_.max_points) series.pop_front();
}

std::string TelemetryStore::Bounded(const std::string& s) {
  if (s.size() <= limits_.max_value_bytes) return s;
  ++values_truncated_;
  size_t cut = limits_.max_value_bytes;
  // Not inside a UTF-8 sequence: back up over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(s.substr(0, cut), "...[truncated from ", s.size(), " bytes]");
}

size_t TelemetryStore::SpanBytes(const Span& s) {
  size_t n = sizeof(Span) + s.span_id.size() + s.parent_span_id.size() + s.name.size() +
             s.kind.size() + s.service.size() + s.instance.size() + s.status_message.size();
  for (const auto& [k, v] : s.attributes) {
    n += sizeof(std::pair<std::string, std::string>) + k.size() + v.size();
  }
  return n;
}

size_t TelemetryStore::InstanceBytes(const std::string& name, const Instance& inst) {
  size_t n = sizeof(Instance) + kEntryOverhead + name.size() + inst.service.size();
  for (const auto& [k, points] : inst.series) {
    n += kEntryOverhead + k.size() + points.size() * sizeof(Point);
  }
  for (const auto& [k, v] : inst.latest) n += kEntryOverhead + k.size() + sizeof(v);
  n += (inst.last_latency.bounds.size() + inst.last_latency.counts.size()) * sizeof(double);
  return n;
}

void TelemetryStore::EvictOldestTrace() {
  auto it = traces_.find(trace_order_.front());
  if (it != traces_.end()) {
    span_count_ -= it->second.spans.size();
    span_bytes_ -= it->second.bytes;
    spans_dropped_ += static_cast<int64_t>(it->second.spans.size());
    traces_.erase(it);
  }
  trace_order_.pop_front();
}

void TelemetryStore::Evict(const std::string* keep) {
  while (!trace_order_.empty() && span_count_ > limits_.max_spans) EvictOldestTrace();
  while (span_bytes_ + metric_bytes_ > limits_.max_bytes) {
    if (!trace_order_.empty() && span_bytes_ >= metric_bytes_) {
      EvictOldestTrace();
      continue;
    }
    // The instance updated longest ago, other than the one just updated.
    auto stalest = instances_.end();
    for (auto it = instances_.begin(); it != instances_.end(); ++it) {
      if (keep != nullptr && it->first == *keep) continue;
      if (stalest == instances_.end() || it->second.updated < stalest->second.updated) {
        stalest = it;
      }
    }
    if (stalest != instances_.end()) {
      metric_bytes_ -= stalest->second.bytes;
      ++instances_dropped_;
      instances_.erase(stalest);
    } else if (!trace_order_.empty()) {
      EvictOldestTrace();
    } else {
      break;  // only what was just added is left
    }
  }
}

size_t TelemetryStore::bytes() const {
  idgen::MutexLock lock(&mu_);
  return span_bytes_ + metric_bytes_;
}

void TelemetryStore::AddTraces(
    const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& req) {
  idgen::MutexLock lock(&mu_);
  for (const otlp_trace::ResourceSpans& rs : req.resource_spans()) {
    const std::string service = Bounded(Attr(rs.resource().attributes(), "service.name"));
    std::string instance = Bounded(Attr(rs.resource().attributes(), "service.instance.id"));
    if (instance.empty()) instance = service;
    for (const otlp_trace::ScopeSpans& ss : rs.scope_spans()) {
      for (const otlp_trace::Span& s : ss.spans()) {
        Span out;
        out.span_id = Bounded(Hex(s.span_id()));
        out.parent_span_id = Bounded(Hex(s.parent_span_id()));
        out.name = Bounded(s.name());
        out.kind = KindName(s.kind());
        out.service = service;
        out.instance = instance;
        out.start_ns = s.start_time_unix_nano();
        out.end_ns = s.end_time_unix_nano();
        out.error = s.status().code() == otlp_trace::Status::STATUS_CODE_ERROR;
        out.status_message = Bounded(s.status().message());
        for (const otlp_common::KeyValue& kv : s.attributes()) {
          out.attributes.emplace_back(Bounded(kv.key()), Bounded(ValueText(kv.value())));
        }
        const std::string trace_id = Bounded(Hex(s.trace_id()));
        auto [it, inserted] = traces_.try_emplace(trace_id);
        if (inserted) {
          trace_order_.push_back(trace_id);
          it->second.bytes = 2 * (kEntryOverhead + trace_id.size());  // map and order
          span_bytes_ += it->second.bytes;
        }
        const size_t bytes = SpanBytes(out);
        it->second.spans.push_back(std::move(out));
        it->second.bytes += bytes;
        span_bytes_ += bytes;
        ++span_count_;
        ++spans_received_;
      }
    }
  }
  Evict(nullptr);
}

void TelemetryStore::AddMetrics(
    const opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest& req) {
  idgen::MutexLock lock(&mu_);
  ++metric_exports_;
  for (const otlp_metrics::ResourceMetrics& rm : req.resource_metrics()) {
    const std::string service = Bounded(Attr(rm.resource().attributes(), "service.name"));
    std::string name = Bounded(Attr(rm.resource().attributes(), "service.instance.id"));
    if (name.empty()) name = service;
    Instance& inst = instances_[name];
    inst.service = service;
    // Re-estimated once the resource's metrics are in (below).
    metric_bytes_ -= inst.bytes;
    for (const otlp_metrics::ScopeMetrics& sm : rm.scope_metrics()) {
      for (const otlp_metrics::Metric& m : sm.metrics()) {
        if (m.has_sum() || m.has_gauge()) {
          const auto& points = m.has_sum() ? m.sum().data_points() : m.gauge().data_points();
          double total = 0;
          uint64_t t_ns = 0;
          for (const otlp_metrics::NumberDataPoint& p : points) {
            total += NumberValue(p);
            t_ns = std::max<uint64_t>(t_ns, p.time_unix_nano());
          }
          if (points.empty()) continue;
          const int64_t ms = static_cast<int64_t>(t_ns / 1'000'000);
          inst.latest[Bounded(m.name())] = total;
          if (m.name() == "idgen.ids.issued") {
            Append(inst.series["ids_total"], {ms, total});
          } else if (m.name() == "idgen.lease.ttl_left" || m.name() == "idgen.clock.lag" ||
                     m.name() == "idgen.reservation.headroom" || m.name() == "idgen.node.ready") {
            Append(inst.series[m.name()], {ms, total});
          }
        } else if (m.has_histogram() && m.name() == "rpc.server.duration") {
          // The ID API only (not health checks or reflection).
          Histogram h;
          for (const otlp_metrics::HistogramDataPoint& p : m.histogram().data_points()) {
            if (Attr(p.attributes(), "rpc.service") != "idgen.v1.IdGenerator") continue;
            if (h.bounds.empty()) {
              h.bounds.assign(p.explicit_bounds().begin(), p.explicit_bounds().end());
              h.counts.assign(p.bucket_counts().size(), 0);
            }
            if (static_cast<size_t>(p.bucket_counts().size()) != h.counts.size()) continue;
            for (int i = 0; i < p.bucket_counts().size(); ++i) h.counts[i] += p.bucket_counts(i);
            h.unix_ms =
                std::max<int64_t>(h.unix_ms, static_cast<int64_t>(p.time_unix_nano() / 1'000'000));
          }
          if (h.counts.empty()) continue;
          const Histogram& prev = inst.last_latency;
          std::vector<uint64_t> delta = h.counts;
          if (prev.counts.size() == h.counts.size() && prev.bounds == h.bounds) {
            bool reset = false;
            for (size_t i = 0; i < delta.size(); ++i) {
              if (h.counts[i] < prev.counts[i]) reset = true;  // the process restarted
            }
            if (!reset) {
              for (size_t i = 0; i < delta.size(); ++i) delta[i] -= prev.counts[i];
            }
          }
          uint64_t calls = 0;
          for (uint64_t c : delta) calls += c;
          if (calls > 0)
            Append(inst.series["p99_ms"], {h.unix_ms, Quantile(h.bounds, delta, 0.99)});
          inst.last_latency = std::move(h);
        }
      }
    }
    inst.bytes = InstanceBytes(name, inst);
    inst.updated = ++update_seq_;
    metric_bytes_ += inst.bytes;
    Evict(&name);
  }
}

void TelemetryStore::AddLogs(
    const opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest& req) {
  int64_t n = 0;
  for (const auto& rl : req.resource_logs()) {
    for (const auto& sl : rl.scope_logs()) n += sl.log_records_size();
  }
  idgen::MutexLock lock(&mu_);
  log_records_ += n;
}

Json TelemetryStore::TraceList(size_t limit) const {
  idgen::MutexLock lock(&mu_);
  Json out = Json::array();
  for (auto it = trace_order_.rbegin(); it != trace_order_.rend() && out.size() < limit; ++it) {
    auto t = traces_.find(*it);
    if (t == traces_.end() || t->second.spans.empty()) continue;
    const std::vector<Span>& spans = t->second.spans;
    std::set<std::string> span_ids;
    for (const Span& s : spans) span_ids.insert(s.span_id);
    // The root: the earliest span whose parent is absent or never arrived.
    const Span* root = nullptr;
    uint64_t start = UINT64_MAX;
    uint64_t end = 0;
    std::set<std::string> services;
    bool error = false;
    for (const Span& s : spans) {
      const bool top = s.parent_span_id.empty() || span_ids.count(s.parent_span_id) == 0;
      if (top && (root == nullptr || s.start_ns < root->start_ns)) root = &s;
      start = std::min(start, s.start_ns);
      end = std::max(end, s.end_ns);
      services.insert(s.service);
      error = error || s.error;
    }
    if (root == nullptr) root = &spans.front();
    out.push_back({{"trace_id", *it},
                   {"name", absl::StrCat(root->service, ": ", root->name)},
                   {"services", std::vector<std::string>(services.begin(), services.end())},
                   {"spans", spans.size()},
                   {"start_unix_ms", start / 1'000'000},
                   {"duration_ms", static_cast<double>(end - start) / 1e6},
                   {"error", error}});
  }
  return out;
}

Json TelemetryStore::Trace(const std::string& trace_id_hex) const {
  idgen::MutexLock lock(&mu_);
  auto it = traces_.find(trace_id_hex);
  if (it == traces_.end()) return nullptr;
  std::vector<Span> spans = it->second.spans;
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.start_ns < b.start_ns; });
  Json list = Json::array();
  for (const Span& s : spans) {
    Json attrs = Json::object();
    for (const auto& [k, v] : s.attributes) attrs[k] = v;
    list.push_back({{"span_id", s.span_id},
                    {"parent_span_id", s.parent_span_id},
                    {"name", s.name},
                    {"kind", s.kind},
                    {"service", s.service},
                    {"instance", s.instance},
                    {"start_unix_nano", std::to_string(s.start_ns)},
                    {"end_unix_nano", std::to_string(s.end_ns)},
                    {"duration_ms", static_cast<double>(s.end_ns - s.start_ns) / 1e6},
                    {"status", s.error ? "error" : "ok"},
                    {"status_message", s.status_message},
                    {"attributes", attrs}});
  }
  return Json{{"trace_id", trace_id_hex}, {"spans", list}};
}

Json TelemetryStore::Metrics() const {
  idgen::MutexLock lock(&mu_);
  Json instances = Json::array();
  for (const auto& [name, inst] : instances_) {
    Json series = Json::object();
    auto points = [](const std::deque<Point>& d) {
      Json a = Json::array();
      for (const Point& p : d) a.push_back({p.unix_ms, p.value});
      return a;
    };
    // IDs per second from the cumulative counter; a drop means a restart.
    Json rate = Json::array();
    if (auto it = inst.series.find("ids_total"); it != inst.series.end()) {
      const std::deque<Point>& d = it->second;
      for (size_t i = 1; i < d.size(); ++i) {
        const int64_t dt = d[i].unix_ms - d[i - 1].unix_ms;
        if (dt <= 0) continue;
        const double dv = d[i].value >= d[i - 1].value ? d[i].value - d[i - 1].value : d[i].value;
        rate.push_back({d[i].unix_ms, dv * 1000.0 / static_cast<double>(dt)});
      }
    }
    series["ids_per_s"] = rate;
    for (const char* key : {"p99_ms", "idgen.lease.ttl_left", "idgen.clock.lag",
                            "idgen.reservation.headroom", "idgen.node.ready"}) {
      auto it = inst.series.find(key);
      series[key] = it == inst.series.end() ? Json::array() : points(it->second);
    }
    Json latest = Json::object();
    for (const auto& [metric, v] : inst.latest) latest[metric] = v;
    instances.push_back(
        {{"instance", name}, {"service", inst.service}, {"series", series}, {"latest", latest}});
  }
  return Json{{"instances", instances},
              {"received",
               {{"spans", spans_received_},
                {"metric_exports", metric_exports_},
                {"log_records", log_records_}}},
              {"store",
               {{"bytes", span_bytes_ + metric_bytes_},
                {"max_bytes", limits_.max_bytes},
                {"spans_dropped", spans_dropped_},
                {"instances_dropped", instances_dropped_},
                {"values_truncated", values_truncated_}}}};
}

}  // namespace idgen::apphost
