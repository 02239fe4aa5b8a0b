// Copyright idgen authors.
#include "src/telemetry/telemetry_config.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/telemetry/otlp_exporter.h"

namespace idgen::telemetry {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

ParsedTelemetryConfig Parse(const std::map<std::string, std::string>& env) {
  return ParseTelemetryConfig(
      [&env](std::string_view name) -> std::optional<std::string> {
        auto it = env.find(std::string(name));
        if (it == env.end()) return std::nullopt;
        return it->second;
      },
      "idgen-serve");
}

std::string Resource(const TelemetryConfig& c, const std::string& key) {
  for (const auto& [k, v] : c.resource) {
    if (k == key) return AttributeToString(v);
  }
  return "<absent>";
}

TEST(TelemetryConfigTest, DefaultsExportNothingAndSampleParentBasedAlwaysOn) {
  const ParsedTelemetryConfig p = Parse({});
  EXPECT_THAT(p.warnings, IsEmpty());
  EXPECT_EQ(p.config.service_name, "idgen-serve");
  EXPECT_EQ(Resource(p.config, "service.name"), "idgen-serve");
  EXPECT_EQ(Resource(p.config, "telemetry.sdk.language"), "cpp");
  EXPECT_EQ(p.config.sampler, "parentbased_always_on");
  EXPECT_EQ(p.config.traces.exporter, ExporterKind::kNone);
  EXPECT_EQ(p.config.metrics.exporter, ExporterKind::kNone);
  EXPECT_EQ(p.config.logs.exporter, ExporterKind::kNone);
  EXPECT_EQ(p.config.span_batch.schedule_delay, absl::Seconds(5));
  EXPECT_EQ(p.config.span_batch.max_queue_size, 2048u);
  EXPECT_EQ(p.config.span_batch.max_export_batch_size, 512u);
  EXPECT_EQ(p.config.metric_export_interval, absl::Seconds(60));
  EXPECT_EQ(p.config.log_format, LogFormat::kJson);
}

TEST(TelemetryConfigTest, GenericHttpEndpointGetsSignalPaths) {
  const ParsedTelemetryConfig p =
      Parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318/"}});
  EXPECT_THAT(p.warnings, IsEmpty());
  EXPECT_EQ(p.config.traces.exporter, ExporterKind::kOtlp);
  EXPECT_EQ(p.config.traces.protocol, OtlpProtocol::kHttpProtobuf);
  EXPECT_EQ(p.config.traces.endpoint, "http://127.0.0.1:4318/v1/traces");
  EXPECT_EQ(p.config.metrics.endpoint, "http://127.0.0.1:4318/v1/metrics");
  EXPECT_EQ(p.config.logs.endpoint, "http://127.0.0.1:4318/v1/logs");
}

TEST(TelemetryConfigTest, EndpointsAreReadByTheOneAddressParser) {
  const ParsedTelemetryConfig ok =
      Parse({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://[::1]:4318/v1/traces"}});
  EXPECT_THAT(ok.warnings, IsEmpty());
  EXPECT_EQ(ok.config.traces.endpoint, "http://[::1]:4318/v1/traces");
  EXPECT_EQ(GrpcTarget("http://[::1]:4317"), "[::1]:4317");
  EXPECT_EQ(GrpcTarget("http://collector:4317/"), "collector:4317");
  for (const char* bad : {"http://collector:http", "http://::1:4318", "http://:4318"}) {
    const ParsedTelemetryConfig p = Parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", bad}});
    ASSERT_EQ(p.warnings.size(), 1u) << bad;
    EXPECT_THAT(p.warnings[0], HasSubstr("expected an http:// or https:// URL")) << bad;
  }
}

TEST(TelemetryConfigTest, PerSignalVariablesWin) {
  const ParsedTelemetryConfig p = Parse({
      {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"},
      {"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
      {"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/protobuf"},
      {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://m:9999/custom"},
      {"OTEL_EXPORTER_OTLP_HEADERS", "Api-Key=a%20b,x=1"},
      {"OTEL_EXPORTER_OTLP_LOGS_HEADERS", "only=logs"},
      {"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"},
      {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "700"},
      {"OTEL_LOGS_EXPORTER", "none"},
  });
  EXPECT_THAT(p.warnings, IsEmpty());
  EXPECT_EQ(p.config.traces.protocol, OtlpProtocol::kGrpc);
  EXPECT_EQ(p.config.traces.endpoint, "http://collector:4317");
  EXPECT_EQ(p.config.traces.timeout, absl::Milliseconds(700));
  EXPECT_THAT(p.config.traces.headers, ElementsAre(Pair("api-key", "a b"), Pair("x", "1")));
  EXPECT_EQ(p.config.metrics.protocol, OtlpProtocol::kHttpProtobuf);
  EXPECT_EQ(p.config.metrics.endpoint, "http://m:9999/custom");
  EXPECT_EQ(p.config.metrics.timeout, absl::Milliseconds(2500));
  // Logs are not exported: their headers are not even read.
  EXPECT_THAT(p.config.logs.headers, IsEmpty());
  EXPECT_EQ(p.config.logs.exporter, ExporterKind::kNone);
}

TEST(TelemetryConfigTest, ServiceNameAndResourceAttributes) {
  const ParsedTelemetryConfig p =
      Parse({{"OTEL_RESOURCE_ATTRIBUTES",
              "service.name=from-attrs,deployment.environment=prod,team=ids%2Ccore"}});
  EXPECT_EQ(p.config.service_name, "from-attrs");
  EXPECT_EQ(Resource(p.config, "deployment.environment"), "prod");
  EXPECT_EQ(Resource(p.config, "team"), "ids,core");
  const ParsedTelemetryConfig q = Parse(
      {{"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs"}, {"OTEL_SERVICE_NAME", "svc"}});
  EXPECT_EQ(q.config.service_name, "svc");
  EXPECT_EQ(Resource(q.config, "service.name"), "svc");
}

TEST(TelemetryConfigTest, SamplerAndRatio) {
  ParsedTelemetryConfig p =
      Parse({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "0.25"}});
  EXPECT_THAT(p.warnings, IsEmpty());
  EXPECT_EQ(p.config.sampler, "traceidratio");
  EXPECT_DOUBLE_EQ(p.config.sampler_ratio, 0.25);
  p = Parse({{"OTEL_TRACES_SAMPLER", "always_off"}});
  EXPECT_EQ(p.config.sampler, "always_off");
}

TEST(TelemetryConfigTest, BadValuesWarnOnceNamingVariableAndUseDefaults) {
  const ParsedTelemetryConfig p = Parse({
      {"OTEL_BSP_SCHEDULE_DELAY", "soon"},
      {"OTEL_BSP_MAX_QUEUE_SIZE", "-3"},
      {"OTEL_TRACES_SAMPLER", "jaeger_remote"},
      {"OTEL_TRACES_SAMPLER_ARG", "2"},
      {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"},
      {"OTEL_EXPORTER_OTLP_ENDPOINT", "https://secure:http"},
      {"OTEL_METRICS_EXPORTER", "statsd"},
      {"OTEL_SDK_DISABLED", "maybe"},
      {"IDGEN_LOG_FORMAT", "xml"},
  });
  const TelemetryConfig& c = p.config;
  EXPECT_EQ(c.span_batch.schedule_delay, absl::Seconds(5));
  EXPECT_EQ(c.span_batch.max_queue_size, 2048u);
  EXPECT_EQ(c.sampler, "parentbased_always_on");
  EXPECT_EQ(c.traces.protocol, OtlpProtocol::kHttpProtobuf);
  EXPECT_EQ(c.traces.endpoint, "http://localhost:4318/v1/traces");
  EXPECT_FALSE(c.sdk_disabled);
  EXPECT_EQ(c.log_format, LogFormat::kJson);
  ASSERT_EQ(p.warnings.size(), 8u) << ::testing::PrintToString(p.warnings);
  EXPECT_THAT(p.warnings[0], HasSubstr("OTEL_SDK_DISABLED=\"maybe\""));
  EXPECT_THAT(p.warnings[1], HasSubstr("OTEL_TRACES_SAMPLER=\"jaeger_remote\""));
  EXPECT_THAT(p.warnings[2], HasSubstr("OTEL_BSP_SCHEDULE_DELAY=\"soon\""));
  EXPECT_THAT(p.warnings[2], HasSubstr("using 5000"));
  EXPECT_THAT(p.warnings[3], HasSubstr("OTEL_BSP_MAX_QUEUE_SIZE=\"-3\""));
  EXPECT_THAT(p.warnings[4], HasSubstr("OTEL_EXPORTER_OTLP_PROTOCOL=\"http/json\""));
  EXPECT_THAT(p.warnings[5], HasSubstr("OTEL_EXPORTER_OTLP_ENDPOINT=\"https://secure:http\""));
  EXPECT_THAT(p.warnings[6], HasSubstr("OTEL_METRICS_EXPORTER=\"statsd\""));
  EXPECT_THAT(p.warnings[7], HasSubstr("IDGEN_LOG_FORMAT=\"xml\""));
}

TEST(TelemetryConfigTest, BatchSizeAboveQueueIsCappedWithWarning) {
  const ParsedTelemetryConfig p =
      Parse({{"OTEL_BSP_MAX_QUEUE_SIZE", "100"}, {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "200"}});
  EXPECT_EQ(p.config.span_batch.max_export_batch_size, 100u);
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_THAT(p.warnings[0], HasSubstr("OTEL_BSP_MAX_EXPORT_BATCH_SIZE=\"200\""));
}

TEST(TelemetryConfigTest, SdkDisabledTurnsOffExportAndTracing) {
  const ParsedTelemetryConfig p = Parse({{"OTEL_SDK_DISABLED", "true"},
                                         {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"},
                                         {"OTEL_TRACES_EXPORTER", "console"}});
  EXPECT_TRUE(p.config.sdk_disabled);
  EXPECT_EQ(p.config.traces.exporter, ExporterKind::kNone);
  EXPECT_EQ(p.config.metrics.exporter, ExporterKind::kNone);
  EXPECT_EQ(p.config.sampler, "always_off");
}

TEST(TelemetryConfigTest, EmptyValuesCountAsUnset) {
  const ParsedTelemetryConfig p =
      Parse({{"OTEL_SERVICE_NAME", ""}, {"OTEL_BSP_SCHEDULE_DELAY", "  "}});
  EXPECT_THAT(p.warnings, IsEmpty());
  EXPECT_EQ(p.config.service_name, "idgen-serve");
}

}  // namespace
}  // namespace idgen::telemetry
