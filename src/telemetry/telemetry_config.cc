// Copyright idgen authors.
#include "src/telemetry/telemetry_config.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "src/config/endpoint.h"
#include "src/telemetry/otlp_env.h"

namespace idgen::telemetry {
namespace {

constexpr char kSdkVersion[] = "0.1.0";

class Parser {
 public:
  Parser(const EnvLookup& env, std::vector<std::string>* warnings, std::vector<std::string>* errors)
      : env_(env), warnings_(warnings), errors_(errors) {}

  std::optional<std::string> Get(absl::string_view name) const {
    std::optional<std::string> v = env_(std::string_view(name.data(), name.size()));
    if (v && absl::StripAsciiWhitespace(*v).empty()) return std::nullopt;
    if (v) return std::string(absl::StripAsciiWhitespace(*v));
    return v;
  }

  void Warn(absl::string_view name, absl::string_view value, absl::string_view why,
            absl::string_view fallback) {
    warnings_->push_back(
        absl::StrCat(name, "=\"", value, "\": ", why, "; using ", fallback, " instead"));
  }

  void Error(std::string message) { errors_->push_back(std::move(message)); }

  // A whole number of milliseconds >= min.
  absl::Duration Millis(absl::string_view name, absl::Duration def, int64_t min = 0) {
    std::optional<std::string> v = Get(name);
    if (!v) return def;
    int64_t ms = 0;
    if (!absl::SimpleAtoi(*v, &ms) || ms < min) {
      Warn(name, *v, absl::StrCat("expected a whole number of milliseconds >= ", min),
           absl::StrCat(absl::ToInt64Milliseconds(def)));
      return def;
    }
    return absl::Milliseconds(ms);
  }

  size_t Count(absl::string_view name, size_t def) {
    std::optional<std::string> v = Get(name);
    if (!v) return def;
    int64_t n = 0;
    if (!absl::SimpleAtoi(*v, &n) || n < 1) {
      Warn(name, *v, "expected a whole number >= 1", absl::StrCat(def));
      return def;
    }
    return static_cast<size_t>(n);
  }

  bool Bool(absl::string_view name, bool def) {
    std::optional<std::string> v = Get(name);
    if (!v) return def;
    const std::string lower = absl::AsciiStrToLower(*v);
    if (lower == "true") return true;
    if (lower == "false") return false;
    Warn(name, *v, "expected true or false", def ? "true" : "false");
    return def;
  }

  // "k1=v1,k2=v2" with percent-encoded values (W3C Baggage-like, as the
  // specification defines for OTEL_RESOURCE_ATTRIBUTES and headers).
  std::vector<std::pair<std::string, std::string>> KeyValues(absl::string_view name) {
    std::vector<std::pair<std::string, std::string>> out;
    std::optional<std::string> v = Get(name);
    if (!v) return out;
    for (absl::string_view item : absl::StrSplit(*v, ',', absl::SkipWhitespace())) {
      const size_t eq = item.find('=');
      std::string key(absl::StripAsciiWhitespace(item.substr(0, eq)));
      std::string value;
      if (eq == absl::string_view::npos || key.empty() ||
          !PercentDecodeInto(absl::StripAsciiWhitespace(item.substr(eq + 1)), &value)) {
        Warn(name, item, "expected key=value with a percent-encoded value", "nothing for it");
        continue;
      }
      out.emplace_back(std::move(key), std::move(value));
    }
    return out;
  }

 private:
  const EnvLookup& env_;
  std::vector<std::string>* warnings_;
  std::vector<std::string>* errors_;
};

absl::string_view SignalName(Signal s) {
  switch (s) {
    case Signal::kTraces:
      return "TRACES";
    case Signal::kMetrics:
      return "METRICS";
    case Signal::kLogs:
      return "LOGS";
  }
  return "";
}

absl::string_view SignalPath(Signal s) {
  switch (s) {
    case Signal::kTraces:
      return "/v1/traces";
    case Signal::kMetrics:
      return "/v1/metrics";
    case Signal::kLogs:
      return "/v1/logs";
  }
  return "";
}

// An http:// or https:// URL with a host.
bool ValidEndpoint(const std::string& url) {
  absl::StatusOr<config::Endpoint> e = config::ParseEndpoint(url, {.require_scheme = true});
  return e.ok() && (e->scheme == config::Scheme::kHttp || e->scheme == config::Scheme::kHttps);
}

bool IsHttps(const std::string& url) {
  absl::StatusOr<config::Endpoint> e = config::ParseEndpoint(url, {.require_scheme = true});
  return e.ok() && e->scheme == config::Scheme::kHttps;
}

// The TLS files and headers of a signal exported over OTLP; bad values are
// errors (otlp_env.h).
void ParseOtlpSecrets(Parser& p, const std::string& s, absl::Time now, SignalExportConfig* out) {
  const EnvGetter get = [&p](absl::string_view name) { return p.Get(name); };
  const std::string headers_var = OtlpVariable(get, s, "HEADERS");
  if (!headers_var.empty()) {
    absl::StatusOr<std::vector<std::pair<std::string, std::string>>> headers =
        ParseOtlpHeaders(headers_var, *p.Get(headers_var));
    if (headers.ok()) {
      out->headers = *std::move(headers);
    } else {
      p.Error(std::string(headers.status().message()));
    }
  }
  const std::optional<std::string> skip = p.Get("IDGEN_SKIP_KEY_PERMISSION_CHECK");
  absl::StatusOr<security::TlsClientConfig> tls =
      ParseOtlpTls(get, s, now, !(skip && *skip == "1"));
  if (!tls.ok()) {
    p.Error(std::string(tls.status().message()));
    return;
  }
  if (IsHttps(out->endpoint)) {
    out->tls = *std::move(tls);
    return;
  }
  for (absl::string_view field : {"CERTIFICATE", "CLIENT_CERTIFICATE", "CLIENT_KEY"}) {
    const std::string var = OtlpVariable(get, s, field);
    if (var.empty()) continue;
    p.Error(absl::StrCat(var, " is set, but the ", absl::AsciiStrToLower(s), " endpoint ",
                         out->endpoint,
                         " is not https://: use an https:// endpoint (nothing is sent in "
                         "plaintext when TLS is configured)"));
  }
}

SignalExportConfig ParseSignal(Parser& p, Signal signal, bool disabled, absl::Time now) {
  SignalExportConfig out;
  const std::string s(SignalName(signal));

  // Protocol.
  const std::string proto_var = absl::StrCat("OTEL_EXPORTER_OTLP_", s, "_PROTOCOL");
  std::string proto_name = proto_var;
  std::optional<std::string> proto = p.Get(proto_var);
  if (!proto) {
    proto_name = "OTEL_EXPORTER_OTLP_PROTOCOL";
    proto = p.Get(proto_name);
  }
  if (proto) {
    if (*proto == "grpc") {
      out.protocol = OtlpProtocol::kGrpc;
    } else if (*proto == "http/protobuf") {
      out.protocol = OtlpProtocol::kHttpProtobuf;
    } else {
      p.Warn(proto_name, *proto,
             *proto == "http/json" ? "http/json is not supported (grpc or http/protobuf)"
                                   : "expected grpc or http/protobuf",
             "http/protobuf");
    }
  }
  const bool grpc = out.protocol == OtlpProtocol::kGrpc;
  const std::string default_endpoint =
      grpc ? "http://localhost:4317" : absl::StrCat("http://localhost:4318", SignalPath(signal));

  // Endpoint.
  bool endpoint_set = false;
  out.endpoint = default_endpoint;
  const std::string signal_ep_var = absl::StrCat("OTEL_EXPORTER_OTLP_", s, "_ENDPOINT");
  if (std::optional<std::string> ep = p.Get(signal_ep_var)) {
    endpoint_set = true;
    if (ValidEndpoint(*ep)) {
      out.endpoint = *ep;
    } else {
      p.Warn(signal_ep_var, *ep, "expected an http:// or https:// URL", default_endpoint);
    }
  } else if (std::optional<std::string> base = p.Get("OTEL_EXPORTER_OTLP_ENDPOINT")) {
    endpoint_set = true;
    if (ValidEndpoint(*base)) {
      absl::string_view trimmed = *base;
      while (absl::ConsumeSuffix(&trimmed, "/")) {
      }
      out.endpoint = grpc ? std::string(trimmed) : absl::StrCat(trimmed, SignalPath(signal));
    } else {
      p.Warn("OTEL_EXPORTER_OTLP_ENDPOINT", *base, "expected an http:// or https:// URL",
             "the default endpoints (http://localhost:4318/v1/<signal>, grpc :4317)");
    }
  }

  // Timeout.
  const std::string signal_timeout = absl::StrCat("OTEL_EXPORTER_OTLP_", s, "_TIMEOUT");
  out.timeout = p.Get(signal_timeout)
                    ? p.Millis(signal_timeout, absl::Seconds(10), 1)
                    : p.Millis("OTEL_EXPORTER_OTLP_TIMEOUT", absl::Seconds(10), 1);

  // Exporter.
  const std::string exporter_var = absl::StrCat("OTEL_", s, "_EXPORTER");
  out.exporter = endpoint_set ? ExporterKind::kOtlp : ExporterKind::kNone;
  if (std::optional<std::string> e = p.Get(exporter_var)) {
    if (*e == "otlp") {
      out.exporter = ExporterKind::kOtlp;
    } else if (*e == "console" || (signal == Signal::kMetrics && *e == "prometheus")) {
      // "prometheus" is the pull exporter on /metrics, which is always on.
      out.exporter = *e == "console" ? ExporterKind::kConsole : ExporterKind::kNone;
    } else if (*e == "none") {
      out.exporter = ExporterKind::kNone;
    } else {
      p.Warn(exporter_var, *e, "expected otlp, console or none", endpoint_set ? "otlp" : "none");
    }
  }
  if (disabled) out.exporter = ExporterKind::kNone;
  // Headers and TLS files matter only where OTLP goes.
  if (out.exporter == ExporterKind::kOtlp) ParseOtlpSecrets(p, s, now, &out);
  return out;
}

}  // namespace

ParsedTelemetryConfig ParseTelemetryConfig(const EnvLookup& env,
                                           const std::string& default_service_name,
                                           absl::Time now) {
  ParsedTelemetryConfig result;
  TelemetryConfig& c = result.config;
  Parser p(env, &result.warnings, &result.errors);

  c.sdk_disabled = p.Bool("OTEL_SDK_DISABLED", false);

  // Resource: OTEL_RESOURCE_ATTRIBUTES, then OTEL_SERVICE_NAME over its
  // service.name, then the SDK's own attributes.
  std::vector<std::pair<std::string, std::string>> attrs = p.KeyValues("OTEL_RESOURCE_ATTRIBUTES");
  std::string service_name = default_service_name;
  for (const auto& [k, v] : attrs) {
    if (k == "service.name") service_name = v;
  }
  if (std::optional<std::string> name = p.Get("OTEL_SERVICE_NAME")) service_name = *name;
  c.service_name = service_name;
  c.resource.emplace_back("service.name", service_name);
  for (auto& [k, v] : attrs) {
    if (k != "service.name") c.resource.emplace_back(k, v);
  }
  c.resource.emplace_back("telemetry.sdk.name", std::string("idgen-telemetry"));
  c.resource.emplace_back("telemetry.sdk.language", std::string("cpp"));
  c.resource.emplace_back("telemetry.sdk.version", std::string(kSdkVersion));

  // Sampler.
  if (std::optional<std::string> s = p.Get("OTEL_TRACES_SAMPLER")) {
    static constexpr absl::string_view kKnown[] = {"always_on",
                                                   "always_off",
                                                   "traceidratio",
                                                   "parentbased_always_on",
                                                   "parentbased_always_off",
                                                   "parentbased_traceidratio"};
    bool known = false;
    for (absl::string_view k : kKnown) known = known || k == *s;
    if (known) {
      c.sampler = *s;
    } else {
      p.Warn("OTEL_TRACES_SAMPLER", *s,
             "expected always_on, always_off, traceidratio, parentbased_always_on, "
             "parentbased_always_off or parentbased_traceidratio",
             c.sampler);
    }
  }
  if (std::optional<std::string> arg = p.Get("OTEL_TRACES_SAMPLER_ARG")) {
    double ratio = 0;
    if (absl::EndsWith(c.sampler, "traceidratio")) {
      if (absl::SimpleAtod(*arg, &ratio) && ratio >= 0 && ratio <= 1) {
        c.sampler_ratio = ratio;
      } else {
        p.Warn("OTEL_TRACES_SAMPLER_ARG", *arg, "expected a ratio between 0 and 1", "1.0");
      }
    }
  }

  // Batch span processor, batch log record processor, periodic metrics.
  c.span_batch.schedule_delay = p.Millis("OTEL_BSP_SCHEDULE_DELAY", absl::Milliseconds(5000), 1);
  c.span_export_timeout = p.Millis("OTEL_BSP_EXPORT_TIMEOUT", absl::Milliseconds(30000), 1);
  c.span_batch.max_queue_size = p.Count("OTEL_BSP_MAX_QUEUE_SIZE", 2048);
  c.span_batch.max_export_batch_size = p.Count("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512);
  if (c.span_batch.max_export_batch_size > c.span_batch.max_queue_size) {
    p.Warn("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", absl::StrCat(c.span_batch.max_export_batch_size),
           "must not exceed OTEL_BSP_MAX_QUEUE_SIZE", absl::StrCat(c.span_batch.max_queue_size));
    c.span_batch.max_export_batch_size = c.span_batch.max_queue_size;
  }
  c.log_batch.schedule_delay = p.Millis("OTEL_BLRP_SCHEDULE_DELAY", absl::Milliseconds(1000), 1);
  c.log_export_timeout = p.Millis("OTEL_BLRP_EXPORT_TIMEOUT", absl::Milliseconds(30000), 1);
  c.log_batch.max_queue_size = p.Count("OTEL_BLRP_MAX_QUEUE_SIZE", 2048);
  c.log_batch.max_export_batch_size = p.Count("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", 512);
  if (c.log_batch.max_export_batch_size > c.log_batch.max_queue_size) {
    p.Warn("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", absl::StrCat(c.log_batch.max_export_batch_size),
           "must not exceed OTEL_BLRP_MAX_QUEUE_SIZE", absl::StrCat(c.log_batch.max_queue_size));
    c.log_batch.max_export_batch_size = c.log_batch.max_queue_size;
  }
  c.metric_export_interval = p.Millis("OTEL_METRIC_EXPORT_INTERVAL", absl::Milliseconds(60000), 1);
  c.metric_export_timeout = p.Millis("OTEL_METRIC_EXPORT_TIMEOUT", absl::Milliseconds(30000), 1);

  c.traces = ParseSignal(p, Signal::kTraces, c.sdk_disabled, now);
  c.metrics = ParseSignal(p, Signal::kMetrics, c.sdk_disabled, now);
  c.logs = ParseSignal(p, Signal::kLogs, c.sdk_disabled, now);
  if (c.sdk_disabled) c.sampler = "always_off";

  if (std::optional<std::string> f = p.Get("IDGEN_LOG_FORMAT")) {
    if (*f == "json") {
      c.log_format = LogFormat::kJson;
    } else if (*f == "text") {
      c.log_format = LogFormat::kText;
    } else {
      p.Warn("IDGEN_LOG_FORMAT", *f, "expected json or text", "json");
    }
  }
  // Generic variables are read once per signal: report each problem once.
  for (std::vector<std::string>* lines : {&result.warnings, &result.errors}) {
    std::vector<std::string> unique;
    for (std::string& w : *lines) {
      if (std::find(unique.begin(), unique.end(), w) == unique.end()) {
        unique.push_back(std::move(w));
      }
    }
    *lines = std::move(unique);
  }
  return result;
}

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());  // NOLINT(concurrency-mt-unsafe)
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

}  // namespace idgen::telemetry
