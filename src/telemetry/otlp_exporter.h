// Copyright idgen authors.
//
// OtlpExporter: sends one signal's export requests to a collector over
// OTLP/gRPC (opentelemetry.proto.collector.<signal>.v1.<Signal>Service/Export)
// or OTLP/HTTP with protobuf bodies (POST to the signal's URL,
// Content-Type application/x-protobuf). Headers from the configuration go
// out as gRPC metadata or HTTP header fields; every export is bounded by the
// configured timeout. No retries: the batch processors drop what fails and
// count it.
//
// Thread-safety: Export may be called concurrently.
#ifndef IDGEN_TELEMETRY_OTLP_EXPORTER_H_
#define IDGEN_TELEMETRY_OTLP_EXPORTER_H_

#include <memory>

#include <google/protobuf/message.h>
#include <grpcpp/channel.h>

#include "absl/status/status.h"
#include "src/telemetry/telemetry_config.h"

namespace idgen::telemetry {

class OtlpExporter {
 public:
  // `config.exporter` must be kOtlp; `signal` picks service and request type.
  OtlpExporter(Signal signal, SignalExportConfig config);

  // `request` must be the Export*ServiceRequest of the signal. Errors say
  // where the export went and why it failed.
  [[nodiscard]] absl::Status Export(const google::protobuf::Message& request);

  const SignalExportConfig& config() const { return config_; }

 private:
  [[nodiscard]] absl::Status ExportGrpc(const google::protobuf::Message& request);
  [[nodiscard]] absl::Status ExportHttp(const google::protobuf::Message& request);

  const Signal signal_;
  const SignalExportConfig config_;
  std::shared_ptr<grpc::Channel> channel_;  // grpc only
};

// "host:port" of an "http://host:port[/...]" endpoint (gRPC target).
std::string GrpcTarget(const std::string& endpoint);

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_OTLP_EXPORTER_H_
