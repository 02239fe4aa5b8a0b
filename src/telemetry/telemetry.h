// Copyright idgen authors.
//
// Telemetry: the "service defaults" of one process, assembled from a
// TelemetryConfig: a Meter (served as Prometheus text and, if configured,
// exported over OTLP every OTEL_METRIC_EXPORT_INTERVAL), a Tracer with the
// configured sampler and a batch span processor, a Logger, and the glue for
// servers and clients: a gRPC server interceptor (span + rpc.server.duration
// per call), a gRPC client interceptor (client span + traceparent), and an
// HTTP handler wrapper (span + http.server.request.duration per request).
// Names follow the OpenTelemetry semantic conventions v1.24.0; every metric
// and span is listed in docs/OBSERVABILITY.md.
//
// Life cycle: Create() never fails (bad configuration values were already
// turned into warnings, which it logs once). Shutdown(budget) (also from the
// destructor, without a budget) exports the last metrics and flushes queued
// spans and logs, all of it within `budget` on the clock: exports still
// running then are abandoned and what is left is dropped. Processes pass
// their graceful-shutdown time, so that a collector that accepts but never
// answers cannot hold them. Servers using the interceptors must be stopped
// first.
//
// Thread-safety: everything may be used concurrently after Create.
//
// Example:
//   auto telemetry = Telemetry::Create(ParseTelemetryConfig(ProcessEnv(), "idgen-serve"), {});
//   builder.experimental().SetInterceptorCreators(telemetry->ServerInterceptors());
//   telemetry->logger().Info("serving", {{"grpc.port", int64_t{port}}});
#ifndef IDGEN_TELEMETRY_TELEMETRY_H_
#define IDGEN_TELEMETRY_TELEMETRY_H_

#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/support/client_interceptor.h>
#include <grpcpp/support/server_interceptor.h>

#include "absl/base/thread_annotations.h"
#include "idgen/clock.h"
#include "idgen/internal/mutex.h"
#include "src/http/http_server.h"
#include "src/telemetry/batch_processor.h"
#include "src/telemetry/logger.h"
#include "src/telemetry/meter.h"
#include "src/telemetry/otlp_encode.h"
#include "src/telemetry/otlp_exporter.h"
#include "src/telemetry/span.h"
#include "src/telemetry/telemetry_config.h"

namespace idgen::telemetry {

class Telemetry {
 public:
  struct Options {
    std::string service_version;
    Clock* clock = nullptr;            // default: SystemClock
    std::ostream* log_sink = nullptr;  // default: std::cerr
    Attributes extra_resource;         // e.g. service.instance.id
  };

  static std::unique_ptr<Telemetry> Create(const ParsedTelemetryConfig& parsed, Options options);
  ~Telemetry();
  Telemetry(const Telemetry&) = delete;
  Telemetry& operator=(const Telemetry&) = delete;

  // Idempotent (the first call's budget counts); a concurrent second caller
  // returns once the first is done. Without a budget each export is bounded
  // by its configured timeout only.
  void Shutdown(absl::Duration budget = absl::InfiniteDuration());

  const TelemetryConfig& config() const { return config_; }
  Meter& meter() { return meter_; }
  Tracer& tracer() { return *tracer_; }
  Logger& logger() { return *logger_; }

  // For grpc::ServerBuilder::experimental().SetInterceptorCreators().
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
  ServerInterceptors();
  // For grpc::experimental::CreateCustomChannelWithInterceptors().
  std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface> ClientInterceptor();

  // Returns the http.route of a request ("" when no route matched).
  using RouteOf = std::function<std::string(const http::Request&)>;
  // Wraps `inner`: a SERVER span (parent from traceparent) unless the path
  // is /health, /alive or /metrics, and an http.server.request.duration
  // measurement for every request.
  http::Handler InstrumentHttp(http::Handler inner, RouteOf route_of);
  // The same for an asynchronous handler: the span is current on the thread
  // while `inner` runs (so gRPC calls it starts can take it as their parent)
  // and ends, with the measurement, when `inner` calls done.
  http::AsyncHandler InstrumentHttpAsync(http::AsyncHandler inner, RouteOf route_of);

  // The Prometheus exposition of the meter (for /metrics).
  std::string PrometheusText();

 private:
  class SpanBatcher;
  Telemetry(TelemetryConfig config, Options options);
  void MetricLoop();
  void ExportMetricsOnce();
  void RegisterSelfMetrics();

  const TelemetryConfig config_;
  Clock* const clock_;
  std::ostream* const log_sink_;
  OtlpOrigin origin_;
  Meter meter_;
  Histogram* rpc_duration_ = nullptr;
  Histogram* http_duration_ = nullptr;

  std::unique_ptr<OtlpExporter> span_exporter_;
  std::unique_ptr<OtlpExporter> metric_exporter_;
  std::unique_ptr<OtlpExporter> log_exporter_;
  std::unique_ptr<BatchProcessor<SpanData>> span_batch_;
  std::unique_ptr<SpanBatcher> span_processor_;
  std::unique_ptr<BatchProcessor<LogRecord>> log_batch_;
  std::unique_ptr<Tracer> tracer_;
  std::unique_ptr<Logger> logger_;

  idgen::Mutex metric_mu_;
  idgen::CondVar metric_cv_{&metric_mu_};
  bool stopping_ ABSL_GUARDED_BY(metric_mu_) = false;
  std::thread metric_thread_;
  std::once_flag shutdown_once_;
};

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_TELEMETRY_H_
