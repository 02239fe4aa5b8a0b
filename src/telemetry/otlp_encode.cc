// Copyright idgen authors.
#include "src/telemetry/otlp_encode.h"

#include <variant>

namespace idgen::telemetry {
namespace {

namespace common = opentelemetry::proto::common::v1;
namespace otrace = opentelemetry::proto::trace::v1;
namespace ometrics = opentelemetry::proto::metrics::v1;
namespace ologs = opentelemetry::proto::logs::v1;

void SetValue(const AttributeValue& v, common::AnyValue* out) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    out->set_string_value(*s);
  } else if (const auto* b = std::get_if<bool>(&v)) {
    out->set_bool_value(*b);
  } else if (const auto* i = std::get_if<int64_t>(&v)) {
    out->set_int_value(*i);
  } else {
    out->set_double_value(std::get<double>(v));
  }
}

template <typename Repeated>
void AddAttributes(const Attributes& attrs, Repeated* out) {
  for (const auto& [key, value] : attrs) {
    common::KeyValue* kv = out->Add();
    kv->set_key(key);
    SetValue(value, kv->mutable_value());
  }
}

template <typename Resource, typename Scope>
void SetOrigin(const OtlpOrigin& origin, Resource* resource, Scope* scope) {
  AddAttributes(origin.resource, resource->mutable_attributes());
  scope->set_name(origin.scope_name);
  scope->set_version(origin.scope_version);
}

template <size_t N>
std::string Bytes(const std::array<uint8_t, N>& a) {
  return {reinterpret_cast<const char*>(a.data()), N};
}

template <size_t N>
bool AllZero(const std::array<uint8_t, N>& a) {
  for (uint8_t b : a) {
    if (b != 0) return false;
  }
  return true;
}

void SetNumber(const NumberPoint& p, const MetricData& m, ometrics::NumberDataPoint* out) {
  AddAttributes(p.attributes, out->mutable_attributes());
  out->set_start_time_unix_nano(UnixNanos(m.start_time));
  out->set_time_unix_nano(UnixNanos(m.time));
  if (p.is_int) {
    out->set_as_int(p.as_int);
  } else {
    out->set_as_double(p.as_double);
  }
}

}  // namespace

uint64_t UnixNanos(absl::Time t) {
  const int64_t ns = absl::ToUnixNanos(t);
  return ns < 0 ? 0 : static_cast<uint64_t>(ns);
}

void EncodeSpans(const OtlpOrigin& origin, const std::vector<SpanData>& spans,
                 opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest* out) {
  otrace::ResourceSpans* rs = out->add_resource_spans();
  otrace::ScopeSpans* ss = rs->add_scope_spans();
  SetOrigin(origin, rs->mutable_resource(), ss->mutable_scope());
  for (const SpanData& s : spans) {
    otrace::Span* span = ss->add_spans();
    span->set_trace_id(Bytes(s.context.trace_id));
    span->set_span_id(Bytes(s.context.span_id));
    span->set_trace_state(s.context.trace_state);
    if (!AllZero(s.parent_span_id)) span->set_parent_span_id(Bytes(s.parent_span_id));
    span->set_flags(s.context.flags);
    span->set_name(s.name);
    span->set_kind(static_cast<otrace::Span::SpanKind>(static_cast<int>(s.kind)));
    span->set_start_time_unix_nano(UnixNanos(s.start));
    span->set_end_time_unix_nano(UnixNanos(s.end));
    AddAttributes(s.attributes, span->mutable_attributes());
    if (s.status != SpanStatus::kUnset) {
      span->mutable_status()->set_code(
          static_cast<otrace::Status::StatusCode>(static_cast<int>(s.status)));
      span->mutable_status()->set_message(s.status_message);
    }
  }
}

void EncodeMetrics(const OtlpOrigin& origin, const std::vector<MetricData>& metrics,
                   opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest* out) {
  ometrics::ResourceMetrics* rm = out->add_resource_metrics();
  ometrics::ScopeMetrics* sm = rm->add_scope_metrics();
  SetOrigin(origin, rm->mutable_resource(), sm->mutable_scope());
  for (const MetricData& m : metrics) {
    if (m.numbers.empty() && m.histograms.empty()) continue;
    ometrics::Metric* metric = sm->add_metrics();
    metric->set_name(m.name);
    metric->set_description(m.description);
    metric->set_unit(m.unit);
    switch (m.kind) {
      case MetricKind::kCounter: {
        ometrics::Sum* sum = metric->mutable_sum();
        sum->set_is_monotonic(true);
        sum->set_aggregation_temporality(ometrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
        for (const NumberPoint& p : m.numbers) SetNumber(p, m, sum->add_data_points());
        break;
      }
      case MetricKind::kGauge: {
        ometrics::Gauge* gauge = metric->mutable_gauge();
        for (const NumberPoint& p : m.numbers) SetNumber(p, m, gauge->add_data_points());
        break;
      }
      case MetricKind::kHistogram: {
        ometrics::Histogram* h = metric->mutable_histogram();
        h->set_aggregation_temporality(ometrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
        for (const HistogramPoint& p : m.histograms) {
          ometrics::HistogramDataPoint* dp = h->add_data_points();
          AddAttributes(p.attributes, dp->mutable_attributes());
          dp->set_start_time_unix_nano(UnixNanos(m.start_time));
          dp->set_time_unix_nano(UnixNanos(m.time));
          dp->set_count(p.count);
          dp->set_sum(p.sum);
          for (uint64_t c : p.buckets) dp->add_bucket_counts(c);
          for (double b : p.bounds) dp->add_explicit_bounds(b);
        }
        break;
      }
    }
  }
}

void EncodeLogs(const OtlpOrigin& origin, const std::vector<LogRecord>& records,
                opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest* out) {
  ologs::ResourceLogs* rl = out->add_resource_logs();
  ologs::ScopeLogs* sl = rl->add_scope_logs();
  SetOrigin(origin, rl->mutable_resource(), sl->mutable_scope());
  for (const LogRecord& r : records) {
    ologs::LogRecord* rec = sl->add_log_records();
    rec->set_time_unix_nano(UnixNanos(r.time));
    rec->set_observed_time_unix_nano(UnixNanos(r.time));
    rec->set_severity_number(static_cast<ologs::SeverityNumber>(static_cast<int>(r.severity)));
    rec->set_severity_text(SeverityText(r.severity));
    rec->mutable_body()->set_string_value(r.message);
    AddAttributes(r.attributes, rec->mutable_attributes());
    if (!AllZero(r.trace_id)) {
      rec->set_trace_id(Bytes(r.trace_id));
      rec->set_span_id(Bytes(r.span_id));
      rec->set_flags(r.trace_flags);
    }
  }
}

}  // namespace idgen::telemetry
