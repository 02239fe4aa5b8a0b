// Copyright idgen authors.
//
// The AppHost's OTLP receiver, like Aspire's dashboard: services export
// traces, metrics and logs to it and the dashboard shows them.
//
//   * OTLP/HTTP (protobuf): POST /v1/traces, /v1/metrics, /v1/logs, added
//     to the dashboard's router (AddOtlpHttpRoutes). JSON bodies get 415.
//   * OTLP/gRPC: the three collector services on their own port.
//   * OTLP/HTTPS: the same HTTP routes on a listener of their own that
//     speaks only TLS (mutual TLS when the config has a client CA), for the
//     services `idgen up` runs when it wires TLS between them.
//
// Both take messages of at most kMaxOtlpMessageBytes: a larger HTTP body
// gets 413, a larger gRPC message RESOURCE_EXHAUSTED. Everything received
// goes to a TelemetryStore.
#ifndef IDGEN_APPHOST_OTLP_RECEIVER_H_
#define IDGEN_APPHOST_OTLP_RECEIVER_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "src/apphost/telemetry_store.h"
#include "src/http/http_server.h"
#include "src/http/router.h"
#include "src/security/tls_server_config.h"

namespace grpc {
class Server;
class Service;
}  // namespace grpc

namespace idgen::security {
class CertificateWatcher;
class GrpcTlsStage;
}  // namespace idgen::security

namespace idgen::apphost {

// The largest OTLP export accepted, over HTTP (the dashboard's body limit)
// and gRPC alike. The services' batches stay far below it.
inline constexpr size_t kMaxOtlpMessageBytes = 64 * 1024;

void AddOtlpHttpRoutes(http::Router& router, TelemetryStore* store);

class OtlpGrpcReceiver {
 public:
  // Listens on `listen` (port 0: any), over TLS when `tls` is enabled.
  // `store` must outlive the receiver.
  static absl::StatusOr<std::unique_ptr<OtlpGrpcReceiver>> Start(
      const std::string& listen, TelemetryStore* store, const security::TlsServerConfig& tls = {});
  ~OtlpGrpcReceiver();
  int port() const { return port_; }
  void Stop();

 private:
  OtlpGrpcReceiver() = default;
  // With TLS; destroyed after the server, the watcher before its stage.
  std::unique_ptr<security::GrpcTlsStage> tls_stage_;
  std::unique_ptr<security::CertificateWatcher> tls_watcher_;
  std::unique_ptr<grpc::Service> traces_;
  std::unique_ptr<grpc::Service> metrics_;
  std::unique_ptr<grpc::Service> logs_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

class OtlpHttpsReceiver {
 public:
  // Listens on `listen` (port 0: any) with `tls` (which must be enabled).
  // `store` must outlive the receiver.
  static absl::StatusOr<std::unique_ptr<OtlpHttpsReceiver>> Start(
      const std::string& listen, const security::TlsServerConfig& tls, TelemetryStore* store);
  ~OtlpHttpsReceiver();
  int port() const;
  void Stop();

 private:
  OtlpHttpsReceiver() = default;
  http::Router router_;
  std::unique_ptr<http::HttpServer> server_;
};

}  // namespace idgen::apphost

#endif  // IDGEN_APPHOST_OTLP_RECEIVER_H_
