// Copyright idgen authors.
#include "src/telemetry/otlp_encode.h"

#include "gtest/gtest.h"
#include "src/telemetry/meter.h"

namespace idgen::telemetry {
namespace {

OtlpOrigin Origin() {
  OtlpOrigin o;
  o.resource = {{"service.name", std::string("svc")}, {"k", int64_t{3}}};
  o.scope_name = "idgen";
  o.scope_version = "0.1.0";
  return o;
}

TEST(OtlpEncodeTest, SpansKeepIdsParentKindStatusAndAttributes) {
  SpanData s;
  s.name = "idgen.v1.IdGenerator/NextIds";
  s.kind = SpanKind::kServer;
  s.context = *ParseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "a=b");
  s.parent_span_id = {1, 2, 3, 4, 5, 6, 7, 8};
  s.start = absl::FromUnixNanos(1'000'000'123);
  s.end = absl::FromUnixNanos(2'000'000'456);
  s.attributes = {{"rpc.grpc.status_code", int64_t{0}}, {"ok", true}};
  s.status = SpanStatus::kError;
  s.status_message = "bad";
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest req;
  EncodeSpans(Origin(), {s}, &req);
  ASSERT_EQ(req.resource_spans_size(), 1);
  const auto& rs = req.resource_spans(0);
  ASSERT_EQ(rs.resource().attributes_size(), 2);
  EXPECT_EQ(rs.resource().attributes(0).key(), "service.name");
  EXPECT_EQ(rs.resource().attributes(0).value().string_value(), "svc");
  EXPECT_EQ(rs.resource().attributes(1).value().int_value(), 3);
  EXPECT_EQ(rs.scope_spans(0).scope().name(), "idgen");
  const auto& span = rs.scope_spans(0).spans(0);
  EXPECT_EQ(ToHex(reinterpret_cast<const uint8_t*>(span.trace_id().data()), 16),
            "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(span.span_id().size(), 8u);
  EXPECT_EQ(span.parent_span_id(), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(span.trace_state(), "a=b");
  EXPECT_EQ(span.kind(), opentelemetry::proto::trace::v1::Span::SPAN_KIND_SERVER);
  EXPECT_EQ(span.start_time_unix_nano(), 1'000'000'123u);
  EXPECT_EQ(span.end_time_unix_nano(), 2'000'000'456u);
  EXPECT_EQ(span.attributes(0).value().int_value(), 0);
  EXPECT_TRUE(span.attributes(1).value().bool_value());
  EXPECT_EQ(span.status().code(), opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(span.status().message(), "bad");
}

TEST(OtlpEncodeTest, MetricsAreCumulativeWithTheRightShapes) {
  FakeClock clock(absl::FromUnixSeconds(100));
  Meter meter("idgen", &clock);
  meter.CreateCounter("idgen.ids.issued", "d", "{id}")->Add(7, {{"ns", std::string("a")}});
  meter.CreateHistogram("rpc.server.duration", "d", "ms", {1, 10})->Record(5);
  meter.CreateObservableGauge("g", "d", "ms", [](Observer& o) { o.Observe(1.5); });
  clock.Advance(absl::Seconds(2));
  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest req;
  EncodeMetrics(Origin(), meter.Collect(), &req);
  const auto& metrics = req.resource_metrics(0).scope_metrics(0).metrics();
  ASSERT_EQ(metrics.size(), 3);
  const auto& sum = metrics[0];
  EXPECT_EQ(sum.name(), "idgen.ids.issued");
  EXPECT_EQ(sum.unit(), "{id}");
  ASSERT_TRUE(sum.has_sum());
  EXPECT_TRUE(sum.sum().is_monotonic());
  EXPECT_EQ(sum.sum().aggregation_temporality(),
            opentelemetry::proto::metrics::v1::AGGREGATION_TEMPORALITY_CUMULATIVE);
  EXPECT_EQ(sum.sum().data_points(0).as_int(), 7);
  EXPECT_EQ(sum.sum().data_points(0).start_time_unix_nano(), 100'000'000'000u);
  EXPECT_EQ(sum.sum().data_points(0).time_unix_nano(), 102'000'000'000u);
  const auto& h = metrics[1].histogram().data_points(0);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_DOUBLE_EQ(h.sum(), 5);
  EXPECT_EQ(h.bucket_counts_size(), 3);
  EXPECT_EQ(h.bucket_counts(1), 1u);
  EXPECT_EQ(h.explicit_bounds_size(), 2);
  EXPECT_DOUBLE_EQ(metrics[2].gauge().data_points(0).as_double(), 1.5);
}

TEST(OtlpEncodeTest, LogsCarrySeverityBodyAndTrace) {
  LogRecord r;
  r.time = absl::FromUnixSeconds(5);
  r.severity = Severity::kWarn;
  r.message = "hello";
  r.trace_id[0] = 1;
  r.span_id[0] = 2;
  r.trace_flags = 1;
  opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest req;
  EncodeLogs(Origin(), {r}, &req);
  const auto& rec = req.resource_logs(0).scope_logs(0).log_records(0);
  EXPECT_EQ(rec.severity_number(), opentelemetry::proto::logs::v1::SEVERITY_NUMBER_WARN);
  EXPECT_EQ(rec.severity_text(), "warn");
  EXPECT_EQ(rec.body().string_value(), "hello");
  EXPECT_EQ(rec.time_unix_nano(), 5'000'000'000u);
  EXPECT_EQ(rec.trace_id().size(), 16u);
  EXPECT_EQ(rec.flags(), 1u);
}

}  // namespace
}  // namespace idgen::telemetry
