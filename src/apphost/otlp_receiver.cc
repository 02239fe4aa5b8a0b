// Copyright idgen authors.
#include "src/apphost/otlp_receiver.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "idgen/clock.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "src/base/status_macros.h"
#include "src/http/tls_context.h"
#include "src/security/certificate_watcher.h"
#include "src/security/grpc_tls.h"
#include "src/server/grpc_limits.h"

namespace idgen::apphost {
namespace {

namespace trace_v1 = opentelemetry::proto::collector::trace::v1;
namespace metrics_v1 = opentelemetry::proto::collector::metrics::v1;
namespace logs_v1 = opentelemetry::proto::collector::logs::v1;

class TraceService final : public trace_v1::TraceService::Service {
 public:
  explicit TraceService(TelemetryStore* store) : store_(store) {}
  grpc::Status Export(grpc::ServerContext* /*ctx*/, const trace_v1::ExportTraceServiceRequest* req,
                      trace_v1::ExportTraceServiceResponse* /*resp*/) override {
    store_->AddTraces(*req);
    return grpc::Status::OK;
  }

 private:
  TelemetryStore* store_;
};

class MetricsService final : public metrics_v1::MetricsService::Service {
 public:
  explicit MetricsService(TelemetryStore* store) : store_(store) {}
  grpc::Status Export(grpc::ServerContext* /*ctx*/,
                      const metrics_v1::ExportMetricsServiceRequest* req,
                      metrics_v1::ExportMetricsServiceResponse* /*resp*/) override {
    store_->AddMetrics(*req);
    return grpc::Status::OK;
  }

 private:
  TelemetryStore* store_;
};

class LogsService final : public logs_v1::LogsService::Service {
 public:
  explicit LogsService(TelemetryStore* store) : store_(store) {}
  grpc::Status Export(grpc::ServerContext* /*ctx*/, const logs_v1::ExportLogsServiceRequest* req,
                      logs_v1::ExportLogsServiceResponse* /*resp*/) override {
    store_->AddLogs(*req);
    return grpc::Status::OK;
  }

 private:
  TelemetryStore* store_;
};

void Problem(http::Response& resp, int status, const std::string& title,
             const std::string& detail) {
  resp.status = status;
  resp.content_type = "application/problem+json";
  // `detail` quotes the request (its Content-Type), which need not be UTF-8:
  // a strict dump would throw and turn the 415 into a 500.
  resp.body = nlohmann::json{
      {"type", "about:blank"},
      {"title", title},
      {"status", status},
      {"detail",
       detail}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// One OTLP/HTTP signal: parse the protobuf body into Request, hand it over,
// answer with an empty Response message.
template <typename Request, typename Response>
http::Router::RouteHandler OtlpHandler(std::function<void(const Request&)> add) {
  return [add = std::move(add)](const http::Request& req, const http::PathParams&,
                                http::Response& resp) {
    const std::string type(req.Header("content-type").value_or(""));
    if (!absl::StartsWith(type, "application/x-protobuf")) {
      Problem(resp, 415, "Unsupported media type",
              absl::StrCat("OTLP/HTTP here takes application/x-protobuf, got \"", type, "\""));
      return;
    }
    Request message;
    if (!message.ParseFromString(req.body)) {
      Problem(resp, 400, "Bad OTLP message", "the body is not a valid OTLP protobuf message");
      return;
    }
    add(message);
    resp.content_type = "application/x-protobuf";
    resp.body = Response().SerializeAsString();
  };
}

}  // namespace

void AddOtlpHttpRoutes(http::Router& router, TelemetryStore* store) {
  (void)router.Add(
      "POST", "/v1/traces",
      OtlpHandler<trace_v1::ExportTraceServiceRequest, trace_v1::ExportTraceServiceResponse>(
          [store](const auto& r) { store->AddTraces(r); }));
  (void)router.Add("POST", "/v1/metrics",
                   OtlpHandler<metrics_v1::ExportMetricsServiceRequest,
                               metrics_v1::ExportMetricsServiceResponse>(
                       [store](const auto& r) { store->AddMetrics(r); }));
  (void)router.Add(
      "POST", "/v1/logs",
      OtlpHandler<logs_v1::ExportLogsServiceRequest, logs_v1::ExportLogsServiceResponse>(
          [store](const auto& r) { store->AddLogs(r); }));
}

absl::StatusOr<std::unique_ptr<OtlpGrpcReceiver>> OtlpGrpcReceiver::Start(
    const std::string& listen, TelemetryStore* store, const security::TlsServerConfig& tls) {
  IDGEN_RETURN_IF_ERROR(security::CheckTlsServerConfig(tls, absl::Now()));
  std::unique_ptr<OtlpGrpcReceiver> r(new OtlpGrpcReceiver());
  r->traces_ = std::make_unique<TraceService>(store);
  r->metrics_ = std::make_unique<MetricsService>(store);
  r->logs_ = std::make_unique<LogsService>(store);
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (tls.enabled()) {
    IDGEN_ASSIGN_OR_RETURN(r->tls_watcher_, security::CertificateWatcher::Create(
                                                tls, {"otlp-grpc"}, SystemClock::Get()));
    IDGEN_ASSIGN_OR_RETURN(r->tls_stage_, security::GrpcTlsStage::Create(r->tls_watcher_.get()));
    credentials = r->tls_stage_->Credentials();
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, credentials, &r->port_);
  // The node's bounds (streams, memory, metadata, pings, idle connections):
  // gRPC 1.51 has none by default, and this listener takes every service's
  // telemetry.
  server::GrpcLimits limits;
  limits.max_receive_message_bytes = static_cast<int>(kMaxOtlpMessageBytes);
  server::ApplyGrpcLimits(limits, &builder);
  builder.RegisterService(r->traces_.get());
  builder.RegisterService(r->metrics_.get());
  builder.RegisterService(r->logs_.get());
  r->server_ = builder.BuildAndStart();
  if (r->server_ == nullptr || r->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("OTLP/gRPC receiver cannot listen on ", listen));
  }
  return r;
}

OtlpGrpcReceiver::~OtlpGrpcReceiver() { Stop(); }

void OtlpGrpcReceiver::Stop() {
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server_->Wait();
    server_.reset();
  }
}

absl::StatusOr<std::unique_ptr<OtlpHttpsReceiver>> OtlpHttpsReceiver::Start(
    const std::string& listen, const security::TlsServerConfig& tls, TelemetryStore* store) {
  if (!tls.enabled()) return absl::InvalidArgumentError("OTLP/HTTPS receiver needs certificates");
  IDGEN_RETURN_IF_ERROR(security::CheckTlsServerConfig(tls, absl::Now()));
  IDGEN_ASSIGN_OR_RETURN(std::unique_ptr<security::CertificateWatcher> watcher,
                         security::CertificateWatcher::Create(tls, {"otlp"}, SystemClock::Get()));
  IDGEN_ASSIGN_OR_RETURN(std::shared_ptr<http::TlsContextSource> source,
                         http::TlsContextSource::Create(
                             std::shared_ptr<security::CertificateWatcher>(std::move(watcher))));
  std::unique_ptr<OtlpHttpsReceiver> r(new OtlpHttpsReceiver());
  AddOtlpHttpRoutes(r->router_, store);
  http::HttpServer::Options opts;
  opts.listen = listen;
  opts.threads = 1;
  opts.max_body_bytes = kMaxOtlpMessageBytes;
  opts.handler = r->router_.AsHandler();
  opts.tls = [source] { return source->Current(); };
  absl::StatusOr<std::unique_ptr<http::HttpServer>> server = http::HttpServer::Start(opts);
  if (!server.ok()) {
    return absl::Status(server.status().code(),
                        absl::StrCat("OTLP/HTTPS receiver: ", server.status().message()));
  }
  r->server_ = *std::move(server);
  return r;
}

OtlpHttpsReceiver::~OtlpHttpsReceiver() { Stop(); }

int OtlpHttpsReceiver::port() const { return server_ ? server_->port() : 0; }

void OtlpHttpsReceiver::Stop() {
  if (server_) server_->Stop();
}

}  // namespace idgen::apphost
