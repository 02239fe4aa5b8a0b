// Copyright idgen authors.
//
// TelemetryStore: what the AppHost's OTLP receiver got from the services,
// kept in memory with caps, shaped for the dashboard.
//
//   * Traces: spans grouped by trace id; the oldest traces are dropped once
//     more than max_spans spans are kept.
//   * Metrics: for every service instance, a time series per chart the
//     dashboard draws (IDs issued per second, p99 latency of the ID API,
//     lease TTL left, clock lag, reservation headroom, ready) plus the latest
//     value of every metric received. At most max_points per series.
//   * Logs: counted (the console logs already show every line).
//
// Memory is bounded whatever a sender does (any local process can export):
//   * Every stored string (span and metric names, attribute keys and values,
//     service and instance names, status messages) longer than
//     max_value_bytes is cut there and ends in "...[truncated from N bytes]".
//   * The estimated size of what is kept (spans with their strings, metric
//     instances with their series) stays under max_bytes: past it the oldest
//     trace goes, or the instance updated longest ago, whichever kind holds
//     more bytes.
//   * What was dropped or cut is counted (Metrics()["store"]).
//
// Thread-safety: all methods may be called concurrently.
#ifndef IDGEN_APPHOST_TELEMETRY_STORE_H_
#define IDGEN_APPHOST_TELEMETRY_STORE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/base/thread_annotations.h"
#include "idgen/internal/mutex.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace idgen::apphost {

class TelemetryStore {
 public:
  struct Limits {
    size_t max_spans = 20000;
    size_t max_points = 300;              // per chart series
    size_t max_bytes = 64 * 1024 * 1024;  // estimated, spans and metrics together
    size_t max_value_bytes = 1024;        // longest string kept whole
  };

  explicit TelemetryStore(Limits limits);
  explicit TelemetryStore(size_t max_spans = 20000, size_t max_points = 300);

  void AddTraces(const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& req);
  void AddMetrics(
      const opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest& req);
  void AddLogs(const opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest& req);

  // Newest first: [{trace_id, name (of the root span), services, spans,
  // start_unix_ms, duration_ms, error}].
  nlohmann::json TraceList(size_t limit) const;
  // {trace_id, spans: [{span_id, parent_span_id, name, kind, service,
  // instance, start_unix_nano, end_unix_nano, status, attributes}]} sorted by
  // start; null when unknown.
  nlohmann::json Trace(const std::string& trace_id_hex) const;
  // {instances: [{instance, service, series: {ids_per_s: [[ms, v]...],
  // p99_ms: [...], lease_ttl_left_ms, clock_lag_ms, reservation_headroom_ms,
  // ready}, latest: {metric: value}}], received: {...counts},
  // store: {bytes, max_bytes, spans_dropped, instances_dropped,
  // values_truncated}}
  nlohmann::json Metrics() const;

  // The estimated bytes kept now (what max_bytes bounds).
  size_t bytes() const;

 private:
  struct Span {
    std::string span_id;
    std::string parent_span_id;
    std::string name;
    std::string kind;
    std::string service;
    std::string instance;
    uint64_t start_ns = 0;
    uint64_t end_ns = 0;
    bool error = false;
    std::string status_message;
    std::vector<std::pair<std::string, std::string>> attributes;
  };
  struct Point {
    int64_t unix_ms;
    double value;
  };
  struct Histogram {
    int64_t unix_ms = 0;
    std::vector<double> bounds;
    std::vector<uint64_t> counts;  // cumulative over the process's life
  };
  struct Instance {
    std::string service;
    std::map<std::string, std::deque<Point>> series;
    std::map<std::string, double> latest;
    Histogram last_latency;
    size_t bytes = 0;      // estimated, as of the last update
    uint64_t updated = 0;  // update sequence number, for eviction
  };
  struct StoredTrace {
    std::vector<Span> spans;
    size_t bytes = 0;  // estimated
  };

  void Append(std::deque<Point>& series, Point p) const;
  // `s` cut to max_value_bytes (and counted) if longer.
  std::string Bounded(const std::string& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static size_t SpanBytes(const Span& s);
  static size_t InstanceBytes(const std::string& name, const Instance& inst);
  // Drops the oldest traces / stalest instances (never `keep`) while over
  // the caps.
  void Evict(const std::string* keep) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EvictOldestTrace() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Limits limits_;
  mutable idgen::Mutex mu_;
  std::map<std::string, StoredTrace> traces_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> trace_order_ ABSL_GUARDED_BY(mu_);  // oldest first
  size_t span_count_ ABSL_GUARDED_BY(mu_) = 0;
  size_t span_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, Instance> instances_ ABSL_GUARDED_BY(mu_);
  size_t metric_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t update_seq_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t spans_received_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t metric_exports_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t log_records_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t spans_dropped_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t instances_dropped_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t values_truncated_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace idgen::apphost

#endif  // IDGEN_APPHOST_TELEMETRY_STORE_H_
