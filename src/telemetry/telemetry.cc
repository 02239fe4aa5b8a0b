// Copyright idgen authors.
#include "src/telemetry/telemetry.h"

#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "src/telemetry/grpc_client_telemetry.h"
#include "src/telemetry/grpc_server_telemetry.h"
#include "src/telemetry/process_metrics.h"
#include "src/telemetry/prometheus_text.h"

namespace idgen::telemetry {
namespace {

// rpc.server.duration (ms): the conventions give no advice for RPC, and the
// default OTel boundaries start at 5 ms, useless for sub-millisecond calls.
const std::vector<double> kRpcBucketsMs = {0.05, 0.1, 0.25, 0.5, 1,   2.5,  5,    10,
                                           25,   50,  100,  250, 500, 1000, 2500, 5000};
// http.server.request.duration (s): the conventions' advice (v1.24).
const std::vector<double> kHttpBucketsS = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                                           0.5,   0.75, 1,     2.5,  5,     7.5, 10};

std::unique_ptr<Sampler> MakeSampler(const TelemetryConfig& c) {
  if (c.sampler == "always_on") return AlwaysOnSampler();
  if (c.sampler == "always_off") return AlwaysOffSampler();
  if (c.sampler == "traceidratio") return TraceIdRatioSampler(c.sampler_ratio);
  if (c.sampler == "parentbased_always_off") return ParentBasedSampler(AlwaysOffSampler());
  if (c.sampler == "parentbased_traceidratio") {
    return ParentBasedSampler(TraceIdRatioSampler(c.sampler_ratio));
  }
  return ParentBasedSampler(AlwaysOnSampler());
}

const char* HttpMethodOrOther(std::string_view m) {
  static constexpr const char* kKnown[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                           "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  for (const char* k : kKnown) {
    if (m == k) return k;
  }
  return "_OTHER";
}

std::string SpanLine(const SpanData& s) {
  std::string out =
      absl::StrCat("{\"span\":\"", s.name, "\",\"trace_id\":\"", ToHex(s.context.trace_id),
                   "\",\"span_id\":\"", ToHex(s.context.span_id), "\",\"parent_span_id\":\"",
                   ToHex(s.parent_span_id), "\",\"kind\":", static_cast<int>(s.kind),
                   ",\"duration_us\":", absl::ToInt64Microseconds(s.end - s.start),
                   ",\"status\":", static_cast<int>(s.status), "}");
  return out;
}

}  // namespace

class Telemetry::SpanBatcher final : public SpanProcessor {
 public:
  explicit SpanBatcher(BatchProcessor<SpanData>* batch) : batch_(batch) {}
  void OnEnd(SpanData&& span) override { batch_->Add(std::move(span)); }

 private:
  BatchProcessor<SpanData>* batch_;
};

std::unique_ptr<Telemetry> Telemetry::Create(const ParsedTelemetryConfig& parsed, Options options) {
  std::unique_ptr<Telemetry> t(new Telemetry(parsed.config, std::move(options)));
  for (const std::string& w : parsed.warnings) {
    t->logger().Warn(absl::StrCat("telemetry configuration: ", w));
  }
  return t;
}

Telemetry::Telemetry(TelemetryConfig config, Options options)
    : config_(std::move(config)),
      clock_(options.clock != nullptr ? options.clock : SystemClock::Get()),
      log_sink_(options.log_sink != nullptr ? options.log_sink : &std::cerr),
      meter_("idgen", clock_) {
  origin_.resource = config_.resource;
  for (auto& a : options.extra_resource) origin_.resource.push_back(std::move(a));
  if (!options.service_version.empty()) {
    origin_.resource.emplace_back("service.version", options.service_version);
  }
  origin_.scope_name = "idgen";
  origin_.scope_version = options.service_version;

  rpc_duration_ = meter_.CreateHistogram("rpc.server.duration",
                                         "Duration of inbound RPCs, measured by the server", "ms",
                                         kRpcBucketsMs);
  http_duration_ = meter_.CreateHistogram("http.server.request.duration",
                                          "Duration of HTTP server requests", "s", kHttpBucketsS);

  // Spans.
  if (config_.traces.exporter == ExporterKind::kOtlp) {
    SignalExportConfig sc = config_.traces;
    sc.timeout = std::min(sc.timeout, config_.span_export_timeout);
    span_exporter_ = std::make_unique<OtlpExporter>(Signal::kTraces, sc, clock_);
  }
  if (config_.traces.exporter != ExporterKind::kNone) {
    span_batch_ = std::make_unique<BatchProcessor<SpanData>>(
        config_.span_batch, [this](std::vector<SpanData>& batch) -> absl::Status {
          if (span_exporter_ == nullptr) {  // console
            std::string lines;
            for (const SpanData& s : batch) absl::StrAppend(&lines, SpanLine(s), "\n");
            logger_->WriteRaw(lines);
            return absl::OkStatus();
          }
          opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest req;
          EncodeSpans(origin_, batch, &req);
          return span_exporter_->Export(req);
        });
    span_processor_ = std::make_unique<SpanBatcher>(span_batch_.get());
  }
  tracer_ = std::make_unique<Tracer>(MakeSampler(config_), span_processor_.get(), clock_);

  // Logs: always to the sink; to OTLP when configured.
  if (config_.logs.exporter == ExporterKind::kOtlp) {
    SignalExportConfig sc = config_.logs;
    sc.timeout = std::min(sc.timeout, config_.log_export_timeout);
    log_exporter_ = std::make_unique<OtlpExporter>(Signal::kLogs, sc, clock_);
    log_batch_ = std::make_unique<BatchProcessor<LogRecord>>(
        config_.log_batch, [this](std::vector<LogRecord>& batch) -> absl::Status {
          opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest req;
          EncodeLogs(origin_, batch, &req);
          return log_exporter_->Export(req);
        });
  }
  logger_ = std::make_unique<Logger>(config_.service_name, config_.log_format, log_sink_, clock_,
                                     log_batch_.get());

  RegisterSelfMetrics();

  // Metrics push.
  if (config_.metrics.exporter == ExporterKind::kOtlp) {
    SignalExportConfig sc = config_.metrics;
    sc.timeout = std::min(sc.timeout, config_.metric_export_timeout);
    metric_exporter_ = std::make_unique<OtlpExporter>(Signal::kMetrics, sc, clock_);
  }
  if (config_.metrics.exporter != ExporterKind::kNone) {
    metric_thread_ = std::thread([this] { MetricLoop(); });
  }
}

Telemetry::~Telemetry() { Shutdown(); }

void Telemetry::RegisterSelfMetrics() {
  RegisterProcessMetrics(&meter_);
  meter_.CreateObservableCounter(
      "idgen.telemetry.dropped",
      "Telemetry items dropped because the export queue was full (collector slow or down)",
      "{item}", [this](Observer& o) {
        if (span_batch_) {
          o.Observe(static_cast<int64_t>(span_batch_->dropped()),
                    {{"signal", std::string("traces")}});
        }
        if (log_batch_) {
          o.Observe(static_cast<int64_t>(log_batch_->dropped()), {{"signal", std::string("logs")}});
        }
      });
  meter_.CreateObservableCounter(
      "idgen.telemetry.export.failed", "Telemetry items whose export failed (and were dropped)",
      "{item}", [this](Observer& o) {
        if (span_batch_) {
          o.Observe(static_cast<int64_t>(span_batch_->failed()),
                    {{"signal", std::string("traces")}});
        }
        if (log_batch_) {
          o.Observe(static_cast<int64_t>(log_batch_->failed()), {{"signal", std::string("logs")}});
        }
      });
}

void Telemetry::ExportMetricsOnce() {
  std::vector<MetricData> data = meter_.Collect();
  if (metric_exporter_ == nullptr) {  // console
    logger_->WriteRaw(ToPrometheusText(data));
    return;
  }
  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest req;
  EncodeMetrics(origin_, data, &req);
  if (absl::Status s = metric_exporter_->Export(req); !s.ok()) {
    // Counted only in the log: a failing collector must not flood it, so
    // one line per export interval at most.
    logger_->Warn(absl::StrCat("metrics export failed: ", s.message()));
  }
}

void Telemetry::MetricLoop() {
  metric_mu_.Lock();
  while (!stopping_) {
    // One export interval of real time (the collector's pacing), or until Shutdown.
    bool timed_out = false;
    while (!timed_out && !stopping_) {
      timed_out = metric_cv_.WaitFor(config_.metric_export_interval);
    }
    metric_mu_.Unlock();
    ExportMetricsOnce();  // on stop: the final export
    metric_mu_.Lock();
  }
  metric_mu_.Unlock();
}

void Telemetry::Shutdown(absl::Duration budget) {
  std::call_once(shutdown_once_, [this, budget] {
    if (budget < absl::InfiniteDuration()) {
      // One instant for all three signals: the final metrics, spans and logs
      // are exported one after the other, and together they get `budget`.
      const absl::Duration cutoff = clock_->MonotonicNow() + std::max(budget, absl::ZeroDuration());
      for (OtlpExporter* e : {span_exporter_.get(), metric_exporter_.get(), log_exporter_.get()}) {
        if (e != nullptr) e->SetCutoff(cutoff);
      }
    }
    {
      idgen::MutexLock lock(&metric_mu_);
      stopping_ = true;
      metric_cv_.SignalAll();
    }
    if (metric_thread_.joinable()) metric_thread_.join();
    if (span_batch_) span_batch_->Shutdown();
    if (log_batch_) log_batch_->Shutdown();
  });
}

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
Telemetry::ServerInterceptors() {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> out;
  out.push_back(std::make_unique<GrpcServerTelemetry>(tracer_.get(), rpc_duration_, clock_));
  return out;
}

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
Telemetry::ClientInterceptor() {
  return std::make_unique<GrpcClientTelemetry>(tracer_.get());
}

http::Handler Telemetry::InstrumentHttp(http::Handler inner, RouteOf route_of) {
  // One implementation: a plain handler is an asynchronous one that is done
  // as soon as it returns.
  http::AsyncHandler instrumented = InstrumentHttpAsync(
      [inner = std::move(inner)](const http::Request& req, http::Response& resp,
                                 const http::Done& done) {
        inner(req, resp);
        done();
      },
      std::move(route_of));
  return [instrumented = std::move(instrumented)](const http::Request& req, http::Response& resp) {
    instrumented(req, resp, [] {});
  };
}

http::AsyncHandler Telemetry::InstrumentHttpAsync(http::AsyncHandler inner, RouteOf route_of) {
  return [this, inner = std::move(inner), route_of = std::move(route_of)](
             const http::Request& req, http::Response& resp, http::Done done) {
    const absl::Duration start = clock_->MonotonicNow();
    std::string route = route_of ? route_of(req) : std::string();
    const char* method = HttpMethodOrOther(req.method);
    const bool traced = req.path != "/health" && req.path != "/alive" && req.path != "/metrics";
    std::shared_ptr<Span> span;
    if (traced) {
      std::optional<SpanContext> parent =
          ExtractTraceContext([&req](std::string_view key) { return req.Header(key); });
      span =
          tracer_->StartSpan(route.empty() ? std::string(method) : absl::StrCat(method, " ", route),
                             SpanKind::kServer, parent.value_or(SpanContext()),
                             {{"http.request.method", std::string(method)},
                              {"url.path", req.path},
                              {"url.scheme", std::string("http")}});
      if (!route.empty()) span->SetAttribute("http.route", route);
    }
    // `resp` outlives the call to done (HttpServer's contract).
    http::Done finish = [this, &resp, start, method, route = std::move(route), span,
                         done = std::move(done)]() {
      Attributes attrs = {{"http.request.method", std::string(method)},
                          {"http.response.status_code", static_cast<int64_t>(resp.status)},
                          {"url.scheme", std::string("http")}};
      if (!route.empty()) attrs.emplace_back("http.route", route);
      http_duration_->Record(absl::ToDoubleSeconds(clock_->MonotonicNow() - start), attrs);
      if (span) {
        span->SetAttribute("http.response.status_code", static_cast<int64_t>(resp.status));
        if (resp.status >= 500) span->SetStatus(SpanStatus::kError, "");
        span->End();
      }
      done();
    };
    std::optional<Scope> scope;
    if (span) scope.emplace(span->context());
    inner(req, resp, std::move(finish));
  };
}

std::string Telemetry::PrometheusText() {
  return PrometheusTargetInfo(origin_.resource) + ToPrometheusText(meter_.Collect());
}

}  // namespace idgen::telemetry
