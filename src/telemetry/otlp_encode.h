// Copyright idgen authors.
//
// Builds OTLP export requests (opentelemetry.proto.collector.*.v1) from the
// library's data: spans, metric snapshots and log records, under one
// resource and one instrumentation scope. Metrics are cumulative; counters
// become monotonic Sums, gauges Gauges, histograms explicit-bucket
// Histograms; integer points use as_int, others as_double.
//
// Thread-safety: pure functions.
#ifndef IDGEN_TELEMETRY_OTLP_ENCODE_H_
#define IDGEN_TELEMETRY_OTLP_ENCODE_H_

#include <string>
#include <vector>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "src/telemetry/attributes.h"
#include "src/telemetry/log_record.h"
#include "src/telemetry/metric_data.h"
#include "src/telemetry/span.h"

namespace idgen::telemetry {

// Resource attributes and scope of everything a process exports.
struct OtlpOrigin {
  Attributes resource;
  std::string scope_name = "idgen";
  std::string scope_version;
};

void EncodeSpans(const OtlpOrigin& origin, const std::vector<SpanData>& spans,
                 opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest* out);
void EncodeMetrics(const OtlpOrigin& origin, const std::vector<MetricData>& metrics,
                   opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest* out);
void EncodeLogs(const OtlpOrigin& origin, const std::vector<LogRecord>& records,
                opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest* out);

// Nanoseconds since the Unix epoch (0 for times before it).
uint64_t UnixNanos(absl::Time t);

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_OTLP_ENCODE_H_
