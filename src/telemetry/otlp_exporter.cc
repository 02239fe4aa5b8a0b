// Copyright idgen authors.
#include "src/telemetry/otlp_exporter.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "src/base/status_macros.h"
#include "src/telemetry/http_post.h"

namespace idgen::telemetry {
namespace {

namespace ctrace = opentelemetry::proto::collector::trace::v1;
namespace cmetrics = opentelemetry::proto::collector::metrics::v1;
namespace clogs = opentelemetry::proto::collector::logs::v1;

}  // namespace

std::string GrpcTarget(const std::string& endpoint) {
  std::string_view rest = endpoint;
  if (rest.starts_with("http://")) rest.remove_prefix(7);
  return std::string(rest.substr(0, rest.find('/')));
}

OtlpExporter::OtlpExporter(Signal signal, SignalExportConfig config)
    : signal_(signal), config_(std::move(config)) {
  if (config_.protocol == OtlpProtocol::kGrpc) {
    channel_ =
        grpc::CreateChannel(GrpcTarget(config_.endpoint), grpc::InsecureChannelCredentials());
  }
}

absl::Status OtlpExporter::Export(const google::protobuf::Message& request) {
  return config_.protocol == OtlpProtocol::kGrpc ? ExportGrpc(request) : ExportHttp(request);
}

absl::Status OtlpExporter::ExportGrpc(const google::protobuf::Message& request) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(config_.timeout));
  for (const auto& [k, v] : config_.headers) ctx.AddMetadata(k, v);
  grpc::Status s;
  switch (signal_) {
    case Signal::kTraces: {
      ctrace::ExportTraceServiceResponse resp;
      s = ctrace::TraceService::NewStub(channel_)->Export(
          &ctx, static_cast<const ctrace::ExportTraceServiceRequest&>(request), &resp);
      break;
    }
    case Signal::kMetrics: {
      cmetrics::ExportMetricsServiceResponse resp;
      s = cmetrics::MetricsService::NewStub(channel_)->Export(
          &ctx, static_cast<const cmetrics::ExportMetricsServiceRequest&>(request), &resp);
      break;
    }
    case Signal::kLogs: {
      clogs::ExportLogsServiceResponse resp;
      s = clogs::LogsService::NewStub(channel_)->Export(
          &ctx, static_cast<const clogs::ExportLogsServiceRequest&>(request), &resp);
      break;
    }
  }
  if (s.ok()) return absl::OkStatus();
  return absl::Status(
      static_cast<absl::StatusCode>(s.error_code()),
      absl::StrCat("OTLP/gRPC export to ", config_.endpoint, ": ", s.error_message()));
}

absl::Status OtlpExporter::ExportHttp(const google::protobuf::Message& request) {
  IDGEN_ASSIGN_OR_RETURN(HttpResult res,
                         HttpPost(config_.endpoint, config_.headers, "application/x-protobuf",
                                  request.SerializeAsString(), config_.timeout));
  if (res.status < 200 || res.status > 299) {
    return absl::UnavailableError(
        absl::StrCat("OTLP/HTTP export to ", config_.endpoint, ": HTTP ", res.status));
  }
  return absl::OkStatus();
}

}  // namespace idgen::telemetry
