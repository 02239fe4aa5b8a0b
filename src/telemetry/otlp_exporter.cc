// Copyright idgen authors.
#include "src/telemetry/otlp_exporter.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "src/base/status_macros.h"
#include "src/config/endpoint.h"
#include "src/http/client.h"
#include "src/security/tls_client_config.h"

namespace idgen::telemetry {
namespace {

namespace ctrace = opentelemetry::proto::collector::trace::v1;
namespace cmetrics = opentelemetry::proto::collector::metrics::v1;
namespace clogs = opentelemetry::proto::collector::logs::v1;

// The files were checked at start-up (otlp_env.h); one that went away since
// gives an empty string, and the handshake says the rest.
std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::string GrpcTarget(const std::string& endpoint) {
  absl::StatusOr<config::Endpoint> e = config::ParseEndpoint(endpoint);
  return e.ok() && e->scheme != config::Scheme::kUnix ? e->HostPort() : endpoint;
}

OtlpExporter::OtlpExporter(Signal signal, SignalExportConfig config, Clock* clock)
    : signal_(signal),
      config_(std::move(config)),
      clock_(clock != nullptr ? clock : SystemClock::Get()) {
  if (config_.protocol == OtlpProtocol::kGrpc) {
    channel_ = grpc::CreateChannel(GrpcTarget(config_.endpoint), GrpcCredentials(config_));
  }
}

std::shared_ptr<grpc::ChannelCredentials> OtlpExporter::GrpcCredentials(
    const SignalExportConfig& config) {
  absl::StatusOr<config::Endpoint> e = config::ParseEndpoint(config.endpoint);
  if (!e.ok() || e->scheme != config::Scheme::kHttps) return grpc::InsecureChannelCredentials();
  // A CA file: watched and reloaded, as for every other TLS link.
  if (config.tls.enabled()) return security::GrpcChannelCredentials(config.tls);
  // The system's trust store; a client certificate read once.
  grpc::SslCredentialsOptions options;
  if (!config.tls.cert_file.empty()) {
    options.pem_cert_chain = ReadWholeFile(config.tls.cert_file);
    options.pem_private_key = ReadWholeFile(config.tls.key_file);
  }
  return grpc::SslCredentials(options);
}

void OtlpExporter::SetCutoff(absl::Duration monotonic_cutoff) {
  cutoff_ns_.store(absl::ToInt64Nanoseconds(monotonic_cutoff), std::memory_order_relaxed);
}

bool OtlpExporter::PastCutoff() {
  return absl::ToInt64Nanoseconds(clock_->MonotonicNow()) >=
         cutoff_ns_.load(std::memory_order_relaxed);
}

absl::Status OtlpExporter::Export(const google::protobuf::Message& request) {
  absl::Duration timeout = config_.timeout;
  const int64_t cutoff = cutoff_ns_.load(std::memory_order_relaxed);
  if (cutoff != INT64_MAX) {
    const absl::Duration left = absl::Nanoseconds(cutoff) - clock_->MonotonicNow();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat("OTLP export to ", config_.endpoint, ": shutdown deadline passed"));
    }
    timeout = std::min(timeout, left);
  }
  return config_.protocol == OtlpProtocol::kGrpc ? ExportGrpc(request, timeout)
                                                 : ExportHttp(request, timeout);
}

absl::Status OtlpExporter::ExportGrpc(const google::protobuf::Message& request,
                                      absl::Duration timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  for (const auto& [k, v] : config_.headers) ctx.AddMetadata(k, v);
  // The callback API, waited for in slices: a cutoff set while the call
  // runs cancels it.
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  grpc::Status s;
  auto on_done = [&](grpc::Status status) {
    std::lock_guard<std::mutex> lock(mu);
    s = std::move(status);
    finished = true;
    cv.notify_one();
  };
  ctrace::ExportTraceServiceResponse trace_resp;
  cmetrics::ExportMetricsServiceResponse metrics_resp;
  clogs::ExportLogsServiceResponse logs_resp;
  std::unique_ptr<ctrace::TraceService::Stub> trace_stub;
  std::unique_ptr<cmetrics::MetricsService::Stub> metrics_stub;
  std::unique_ptr<clogs::LogsService::Stub> logs_stub;
  switch (signal_) {
    case Signal::kTraces:
      trace_stub = ctrace::TraceService::NewStub(channel_);
      trace_stub->async()->Export(&ctx,
                                  &static_cast<const ctrace::ExportTraceServiceRequest&>(request),
                                  &trace_resp, on_done);
      break;
    case Signal::kMetrics:
      metrics_stub = cmetrics::MetricsService::NewStub(channel_);
      metrics_stub->async()->Export(
          &ctx, &static_cast<const cmetrics::ExportMetricsServiceRequest&>(request), &metrics_resp,
          on_done);
      break;
    case Signal::kLogs:
      logs_stub = clogs::LogsService::NewStub(channel_);
      logs_stub->async()->Export(
          &ctx, &static_cast<const clogs::ExportLogsServiceRequest&>(request), &logs_resp, on_done);
      break;
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    bool cancelled = false;
    // Bounded: the deadline ends the call, and so does a cancel.
    while (!cv.wait_for(lock, std::chrono::milliseconds(20), [&] { return finished; })) {
      if (!cancelled && PastCutoff()) {
        ctx.TryCancel();
        cancelled = true;
      }
    }
  }
  if (s.ok()) return absl::OkStatus();
  return absl::Status(
      static_cast<absl::StatusCode>(s.error_code()),
      absl::StrCat("OTLP/gRPC export to ", config_.endpoint, ": ", s.error_message()));
}

absl::Status OtlpExporter::ExportHttp(const google::protobuf::Message& request,
                                      absl::Duration timeout) {
  const http::HttpClient client(
      {.timeout = timeout, .user_agent = "idgen-telemetry", .tls = config_.tls});
  absl::StatusOr<http::HttpReply> res =
      client.Post(config_.endpoint, "application/x-protobuf", request.SerializeAsString(),
                  config_.headers, [this] { return PastCutoff(); });
  if (!res.ok()) return res.status();
  if (res->status < 200 || res->status > 299) {
    return absl::UnavailableError(
        absl::StrCat("OTLP/HTTP export to ", config_.endpoint, ": HTTP ", res->status));
  }
  return absl::OkStatus();
}

}  // namespace idgen::telemetry
