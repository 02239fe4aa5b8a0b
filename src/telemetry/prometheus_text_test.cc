// Copyright idgen authors.
#include "src/telemetry/prometheus_text.h"

#include <limits>

#include "gtest/gtest.h"
#include "src/telemetry/meter.h"

namespace idgen::telemetry {
namespace {

MetricData Metric(std::string name, std::string unit, MetricKind kind) {
  MetricData m;
  m.name = std::move(name);
  m.unit = std::move(unit);
  m.kind = kind;
  return m;
}

TEST(PrometheusNameTest, UnitSuffixesFollowTheOtelMapping) {
  EXPECT_EQ(PrometheusName(Metric("rpc.server.duration", "ms", MetricKind::kHistogram)),
            "rpc_server_duration_seconds");
  EXPECT_EQ(PrometheusName(Metric("http.server.request.duration", "s", MetricKind::kHistogram)),
            "http_server_request_duration_seconds");
  EXPECT_EQ(PrometheusName(Metric("idgen.ids.issued", "{id}", MetricKind::kCounter)),
            "idgen_ids_issued_total");
  EXPECT_EQ(PrometheusName(Metric("x.bytes", "By", MetricKind::kCounter)), "x_bytes_total");
  EXPECT_EQ(PrometheusName(Metric("cpu.util", "1", MetricKind::kGauge)), "cpu_util_ratio");
  EXPECT_EQ(PrometheusName(Metric("cpu.time", "1", MetricKind::kCounter)), "cpu_time_total");
  EXPECT_EQ(PrometheusName(Metric("rate", "{req}/s", MetricKind::kGauge)), "rate_per_second");
  EXPECT_EQ(PrometheusName(Metric("tput", "By/s", MetricKind::kGauge)), "tput_bytes_per_second");
  EXPECT_EQ(PrometheusName(Metric("requests_total", "", MetricKind::kCounter)), "requests_total");
  EXPECT_EQ(PrometheusName(Metric("9lives-ok", "", MetricKind::kGauge)), "_9lives_ok");
}

TEST(PrometheusNumberTest, ShortestRoundTripAndSpecials) {
  EXPECT_EQ(PrometheusNumber(3), "3");
  EXPECT_EQ(PrometheusNumber(0.1), "0.1");
  EXPECT_EQ(PrometheusNumber(2.5e-7), "2.5e-07");
  EXPECT_EQ(PrometheusNumber(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(PrometheusNumber(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(PrometheusNumber(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(PrometheusTextTest, CounterWithEscapedLabelsAndHelp) {
  FakeClock clock(absl::FromUnixSeconds(1));
  Meter meter("t", &clock);
  Counter* c = meter.CreateCounter("idgen.ids.issued", "IDs issued\nper \\ namespace", "{id}");
  c->Add(7, {{"idgen.namespace", std::string("a\"b\\c\nd")}});
  EXPECT_EQ(ToPrometheusText(meter.Collect()),
            "# HELP idgen_ids_issued_total IDs issued\\nper \\\\ namespace\n"
            "# TYPE idgen_ids_issued_total counter\n"
            "idgen_ids_issued_total{idgen_namespace=\"a\\\"b\\\\c\\nd\"} 7\n");
}

TEST(PrometheusTextTest, HistogramBucketsAreCumulativeWithInf) {
  FakeClock clock(absl::FromUnixSeconds(1));
  Meter meter("t", &clock);
  Histogram* h = meter.CreateHistogram("rpc.server.duration", "d", "ms", {0.5, 1});
  const Attributes attrs = {{"rpc.method", std::string("NextIds")}};
  h->Record(0.25, attrs);
  h->Record(0.75, attrs);
  h->Record(3, attrs);
  // Milliseconds are exposed as seconds: bounds and sum scaled.
  EXPECT_EQ(ToPrometheusText(meter.Collect()),
            "# HELP rpc_server_duration_seconds d\n"
            "# TYPE rpc_server_duration_seconds histogram\n"
            "rpc_server_duration_seconds_bucket{rpc_method=\"NextIds\",le=\"5e-04\"} 1\n"
            "rpc_server_duration_seconds_bucket{rpc_method=\"NextIds\",le=\"0.001\"} 2\n"
            "rpc_server_duration_seconds_bucket{rpc_method=\"NextIds\",le=\"+Inf\"} 3\n"
            "rpc_server_duration_seconds_sum{rpc_method=\"NextIds\"} 0.004\n"
            "rpc_server_duration_seconds_count{rpc_method=\"NextIds\"} 3\n");
}

TEST(PrometheusTextTest, GaugesAndEmptyFamilies) {
  FakeClock clock(absl::FromUnixSeconds(1));
  Meter meter("t", &clock);
  meter.CreateCounter("unused", "never touched", "");
  meter.CreateObservableGauge("idgen.reservation.headroom", "h", "ms",
                              [](Observer& o) { o.Observe(1500.5); });
  meter.CreateObservableGauge("idgen.node.ready", "r", "",
                              [](Observer& o) { o.Observe(int64_t{1}); });
  EXPECT_EQ(ToPrometheusText(meter.Collect()),
            "# HELP idgen_reservation_headroom_seconds h\n"
            "# TYPE idgen_reservation_headroom_seconds gauge\n"
            "idgen_reservation_headroom_seconds 1.5005\n"
            "# HELP idgen_node_ready r\n"
            "# TYPE idgen_node_ready gauge\n"
            "idgen_node_ready 1\n");
}

TEST(PrometheusTextTest, TargetInfoCarriesTheResource) {
  EXPECT_EQ(PrometheusTargetInfo({{"service.name", std::string("idgen-serve")},
                                  {"deployment.environment", std::string("te\"st")}}),
            "# HELP target_info Target metadata\n"
            "# TYPE target_info gauge\n"
            "target_info{deployment_environment=\"te\\\"st\",service_name=\"idgen-serve\"} 1\n");
}

}  // namespace
}  // namespace idgen::telemetry
