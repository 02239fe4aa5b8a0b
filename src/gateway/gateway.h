// Copyright idgen authors.
//
// Gateway: `idgen gateway`, the REST/JSON front of a cluster of `idgen serve`
// nodes. An HttpServer (Boost.Beast, HTTP/1.1 keep-alive) whose ID routes are
// asynchronous: a request waits for its gRPC call without holding an I/O
// thread, so many connections are served by a few threads.
//
// Routes (contract: src/gateway/openapi.json, served as /openapi.json):
//   GET  /v1/ids                  IDs, parameters in the query (HEAD: 405,
//                                 as it would issue IDs)
//   POST /v1/ids                  IDs, parameters in a JSON body
//                                 (Content-Type application/json, else 415)
//   GET  /v1/ids/{id}/decode      timestamp, worker, sequence of an ID
// The ID routes (/v1/ids, decode, /v1/info) ask RequestAccess first
// (credentials, scope, namespace, quota); the others stay open.
//   GET  /v1/info                 every backend's GetInfo, without addresses
//                                 and paths (those stay on the nodes' admin /info)
//   GET  /health                  200 if at least one backend is SERVING
//   GET  /alive                   200 while the process runs
//   GET  /openapi.json            the OpenAPI 3.1 document
//   GET  /docs, /docs/{file}      Swagger UI (local swagger-ui-dist files)
// Every error is RFC 9457 application/problem+json (see problem.h).
//
// Thread-safety: Start/Stop from one thread; port() from any.
#ifndef IDGEN_GATEWAY_GATEWAY_H_
#define IDGEN_GATEWAY_GATEWAY_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "idgen/internal/mutex.h"
#include "src/gateway/backend_config.h"
#include "src/gateway/swagger_ui.h"
#include "src/pool/id_pool.h"
#include "src/security/certificate_watcher.h"
#include "src/security/tls_server_config.h"

namespace idgen::http {
class HttpServer;
class Router;
}  // namespace idgen::http

namespace idgen::telemetry {
class Telemetry;
}  // namespace idgen::telemetry

namespace idgen::auth {
class Authenticator;
class Quota;
}  // namespace idgen::auth

namespace idgen::gateway {

class Backends;
class RequestAccess;

struct GatewayOptions {
  std::string listen = "127.0.0.1:8080";
  int threads = 2;  // HTTP I/O threads
  BackendConfig backend;
  // Coalescing and prefetch of ID requests (see src/pool/id_pool.h). max_waiting and
  // max_calls are set from backend.max_in_flight and the backend count.
  pool::IdPoolOptions pool;
  uint32_t max_count = 10000;  // IDs per request; above: 429
  size_t max_body_bytes = 16 * 1024;
  size_t max_header_bytes = 8 * 1024;  // request line and header; beyond it 431
  // A request header must arrive within this of its first byte (slowloris).
  absl::Duration header_timeout = absl::Seconds(10);
  absl::Duration idle_timeout = absl::Seconds(60);
  // HTTP connections open at once; a new one beyond it closes the
  // longest-idle one (see HttpServer::Options::max_connections). 0: no cap.
  size_t max_connections = 0;
  std::string swagger_ui_dir;  // empty: see swagger_ui.h
  // HTTPS on `listen` (off unless tls.cert_file is set): files checked by
  // Start, reloaded as src/http/tls_context.h says.
  security::TlsServerConfig tls;
  // Spans, metrics and /metrics (optional; must outlive the Gateway).
  telemetry::Telemetry* telemetry = nullptr;
  // Who may call the ID routes and how much (request_access.h); shared with
  // the process, which reloads the key file. Null: an open authenticator
  // (every caller anonymous) and no quota.
  std::shared_ptr<auth::Authenticator> authenticator;
  std::shared_ptr<auth::Quota> quota;
};

// The OpenAPI 3.1 document (src/gateway/openapi.json, embedded at build time).
std::string_view OpenApiJson();

class Gateway {
 public:
  // INVALID_ARGUMENT for bad options (the message names the flag),
  // UNAVAILABLE if the listen address cannot be bound.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Gateway>> Start(GatewayOptions options);
  ~Gateway();  // calls Stop()
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  int port() const;
  const SwaggerUi& swagger_ui() const { return swagger_ui_; }
  const http::Router& router() const { return *router_; }

  // Stops accepting, lets in-flight requests finish (bounded by the call
  // deadline), then closes the backend channels. Idempotent.
  void Stop();
  // Reads the TLS files of the HTTPS listener again now (SIGHUP); a set
  // that does not load leaves the current one in use. Nothing without TLS.
  void ReloadTls();

 private:
  explicit Gateway(GatewayOptions options);
  [[nodiscard]] absl::Status AddRoutes();
  // With telemetry: every second, asks each backend's health service (what
  // the channel's health checking, the circuit breaker, acts on) and keeps
  // the answers for the idgen.gateway.backend.serving gauge.
  void StartHealthPoll();
  void PollHealth();

  GatewayOptions options_;
  std::unique_ptr<RequestAccess> access_;  // before router_: its routes point to it
  SwaggerUi swagger_ui_;
  std::unique_ptr<http::Router> router_;
  std::shared_ptr<security::CertificateWatcher> tls_watcher_;  // shared with server_'s TLS source
  std::unique_ptr<http::HttpServer> server_;  // outlives backends_ (callbacks post to it)
  std::unique_ptr<Backends> backends_;
  std::unique_ptr<pool::IdPool> pool_;  // outlives backends_ (their callbacks reach it)
  mutable idgen::Mutex health_mu_;
  std::map<std::string, bool> serving_ ABSL_GUARDED_BY(health_mu_);
  absl::Notification stop_poll_;
  std::thread poller_;
};

}  // namespace idgen::gateway

#endif  // IDGEN_GATEWAY_GATEWAY_H_
