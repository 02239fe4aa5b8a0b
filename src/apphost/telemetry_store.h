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
#include "idgen/mutex.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace idgen::apphost {

class TelemetryStore {
 public:
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
  // ready}, latest: {metric: value}}], received: {...counts}}
  nlohmann::json Metrics() const;

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
  };

  void Append(std::deque<Point>& series, Point p) const;

  const size_t max_spans_;
  const size_t max_points_;
  mutable idgen::Mutex mu_;
  std::map<std::string, std::vector<Span>> traces_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> trace_order_ ABSL_GUARDED_BY(mu_);  // oldest first
  size_t span_count_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, Instance> instances_ ABSL_GUARDED_BY(mu_);
  int64_t spans_received_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t metric_exports_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t log_records_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace idgen::apphost

#endif  // IDGEN_APPHOST_TELEMETRY_STORE_H_
