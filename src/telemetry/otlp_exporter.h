// Copyright idgen authors.
//
// OtlpExporter: sends one signal's export requests to a collector over
// OTLP/gRPC (opentelemetry.proto.collector.<signal>.v1.<Signal>Service/Export)
// or OTLP/HTTP with protobuf bodies (POST to the signal's URL,
// Content-Type application/x-protobuf). Headers from the configuration go
// out as gRPC metadata or HTTP header fields; every export is bounded by the
// configured timeout. An https:// endpoint is reached over TLS only, as
// config.tls says (the collector's CA, or the system's trust store; a client
// certificate when set); a refused certificate fails the export with the
// reason, never a plaintext retry. No retries: the batch processors drop what fails and
// count it.
//
// At shutdown, SetCutoff bounds every export from then on, and those in
// flight too, by one instant of the clock's monotonic time: a collector
// that accepts connections but never answers cannot hold the process beyond
// its graceful-shutdown time.
//
// Thread-safety: Export and SetCutoff may be called concurrently.
#ifndef IDGEN_TELEMETRY_OTLP_EXPORTER_H_
#define IDGEN_TELEMETRY_OTLP_EXPORTER_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include <google/protobuf/message.h>
#include <grpcpp/channel.h>

#include "absl/status/status.h"
#include "idgen/clock.h"
#include "src/telemetry/telemetry_config.h"

namespace idgen::telemetry {

class OtlpExporter {
 public:
  // `config.exporter` must be kOtlp; `signal` picks service and request type.
  // `clock` (default: SystemClock) must outlive the exporter.
  OtlpExporter(Signal signal, SignalExportConfig config, Clock* clock = nullptr);

  // `request` must be the Export*ServiceRequest of the signal. Errors say
  // where the export went and why it failed; DEADLINE_EXCEEDED or CANCELLED
  // once the cutoff has passed.
  [[nodiscard]] absl::Status Export(const google::protobuf::Message& request);

  // Every export ends by `monotonic_cutoff` (a Clock::MonotonicNow() value):
  // those in flight are abandoned then (within a few milliseconds), later
  // ones get at most the time left and fail at once when none is.
  void SetCutoff(absl::Duration monotonic_cutoff);

  const SignalExportConfig& config() const { return config_; }

 private:
  [[nodiscard]] absl::Status ExportGrpc(const google::protobuf::Message& request,
                                        absl::Duration timeout);
  [[nodiscard]] absl::Status ExportHttp(const google::protobuf::Message& request,
                                        absl::Duration timeout);
  bool PastCutoff();
  static std::shared_ptr<grpc::ChannelCredentials> GrpcCredentials(
      const SignalExportConfig& config);

  const Signal signal_;
  const SignalExportConfig config_;
  Clock* const clock_;
  // Nanoseconds of monotonic time; INT64_MAX: no cutoff.
  std::atomic<int64_t> cutoff_ns_{INT64_MAX};
  std::shared_ptr<grpc::Channel> channel_;  // grpc only
};

// "host:port" of an "http://host[:port][/...]" endpoint (gRPC target), as
// config::ParseEndpoint reads it (port 80 when absent); `endpoint` itself
// when it does not parse.
std::string GrpcTarget(const std::string& endpoint);

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_OTLP_EXPORTER_H_
