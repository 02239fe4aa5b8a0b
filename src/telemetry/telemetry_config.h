// Copyright idgen authors.
//
// TelemetryConfig: what the standard OpenTelemetry environment variables
// (and IDGEN_LOG_FORMAT) ask for, parsed by a pure function so it can be
// tested without touching the process environment. Every variable is listed
// in docs/OBSERVABILITY.md. Rules:
//   * an empty value counts as unset (as the specification says);
//   * a bad value adds one warning naming the variable and the value, and
//     the default is used; except for the OTLP TLS files and header lists
//     of a signal exported over OTLP (otlp_env.h), whose bad values are
//     errors: the process must refuse to start;
//   * per-signal variables (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, ...) win
//     over the generic ones;
//   * OTLP/HTTP endpoints from OTEL_EXPORTER_OTLP_ENDPOINT get "/v1/<signal>"
//     appended; per-signal endpoints are used as they are;
//   * deviation: a signal's exporter defaults to `otlp` only when an OTLP
//     endpoint variable is set for it, otherwise to `none` (a node without a
//     collector does not try to reach localhost:4318 forever); setting
//     OTEL_<SIGNAL>_EXPORTER=otlp uses the standard default endpoints.
//   * an https:// endpoint is exported to over TLS (the HTTP client's or
//     gRPC's), with the files of OTEL_EXPORTER_OTLP_[<SIGNAL>_]CERTIFICATE,
//     _CLIENT_CERTIFICATE and _CLIENT_KEY; those set for an http://
//     endpoint are an error (never plaintext when TLS was asked for);
//   * OTEL_SDK_DISABLED=true turns off tracing and every OTLP/console
//     exporter; Prometheus /metrics (pull) stays on.
//
// Thread-safety: pure functions.
#ifndef IDGEN_TELEMETRY_TELEMETRY_CONFIG_H_
#define IDGEN_TELEMETRY_TELEMETRY_CONFIG_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "src/security/tls_client_config.h"
#include "src/telemetry/attributes.h"
#include "src/telemetry/batch_processor.h"

namespace idgen::telemetry {

enum class Signal { kTraces, kMetrics, kLogs };
enum class ExporterKind { kNone, kOtlp, kConsole };
enum class OtlpProtocol { kGrpc, kHttpProtobuf };
enum class LogFormat { kJson, kText };

struct SignalExportConfig {
  ExporterKind exporter = ExporterKind::kNone;
  OtlpProtocol protocol = OtlpProtocol::kHttpProtobuf;
  // http/protobuf: the full URL ("http://host:4318/v1/traces");
  // grpc: the URL of the collector ("http://host:4317"). https://: TLS.
  std::string endpoint;
  // Lower-case names; values are secrets (API keys): never logged.
  std::vector<std::pair<std::string, std::string>> headers;
  // For an https:// endpoint: the collector's CA (empty: the system's
  // trust store) and the client certificate, if any.
  security::TlsClientConfig tls;
  absl::Duration timeout = absl::Seconds(10);
};

struct TelemetryConfig {
  bool sdk_disabled = false;
  std::string service_name;
  // Resource attributes, service.name included.
  Attributes resource;
  // One of always_on, always_off, traceidratio, parentbased_always_on,
  // parentbased_always_off, parentbased_traceidratio.
  std::string sampler = "parentbased_always_on";
  double sampler_ratio = 1.0;
  BatchOptions span_batch;
  absl::Duration span_export_timeout = absl::Seconds(30);
  BatchOptions log_batch{.schedule_delay = absl::Seconds(1)};
  absl::Duration log_export_timeout = absl::Seconds(30);
  absl::Duration metric_export_interval = absl::Seconds(60);
  absl::Duration metric_export_timeout = absl::Seconds(30);
  SignalExportConfig traces;
  SignalExportConfig metrics;
  SignalExportConfig logs;
  LogFormat log_format = LogFormat::kJson;
};

struct ParsedTelemetryConfig {
  TelemetryConfig config;
  // One line per bad value: `OTEL_BSP_SCHEDULE_DELAY="abc": not a whole
  // number of milliseconds; using 5000`.
  std::vector<std::string> warnings;
  // One line per value the process must not start with, naming the
  // variable: `OTEL_EXPORTER_OTLP_CERTIFICATE="/x.pem": cannot open ...`.
  std::vector<std::string> errors;
};

// Returns the value of an environment variable, or nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// `default_service_name` is used when neither OTEL_SERVICE_NAME nor a
// service.name in OTEL_RESOURCE_ATTRIBUTES is given. `now` decides whether
// a client certificate has expired.
ParsedTelemetryConfig ParseTelemetryConfig(const EnvLookup& env,
                                           const std::string& default_service_name,
                                           absl::Time now = absl::Now());

// An EnvLookup over the process environment (getenv).
EnvLookup ProcessEnv();

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_TELEMETRY_CONFIG_H_
