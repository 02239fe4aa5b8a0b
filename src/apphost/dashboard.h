// Copyright idgen authors.
//
// Dashboard: the AppHost's web UI and its JSON API, served from memory (no
// CDN, works with no internet) on an HttpServer.
//
//   GET  /                                  the page (resources, logs, buttons);
//                                           without a session, the login form
//   GET  /login?t=TOKEN, POST /login (t=…)  token for a session cookie, 303 to /
//   GET  /api/resources                     every resource: state, pid,
//                                           endpoints, health, restarts, env
//   GET  /api/resources/{name}/logs?after=N console lines after seq N
//   POST /api/resources/{name}/{stop|start|restart}
//   GET  /api/traces?limit=N                recent traces (newest first)
//   GET  /api/traces/{id}                   one trace's spans
//   GET  /api/metrics                       chart series per service instance
//   POST /v1/traces, /v1/metrics, /v1/logs  OTLP/HTTP receiver
//   GET  /health, /alive                    the AppHost itself
//
// Errors are application/problem+json (RFC 9457). Access is guarded as
// dashboard_access.h says: /api/ needs the session cookie (401), and every
// request a Host and Origin naming the dashboard (403). /login, /health,
// /alive and the OTLP/HTTP receiver need no session (the services that send
// telemetry have none); the last three are checked by Origin only.
//
// Thread-safety: handlers run on the server's threads; the Supervisor is
// thread-safe.
#ifndef IDGEN_APPHOST_DASHBOARD_H_
#define IDGEN_APPHOST_DASHBOARD_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "src/apphost/dashboard_access.h"
#include "src/apphost/supervisor.h"
#include "src/apphost/telemetry_store.h"
#include "src/http/http_server.h"
#include "src/http/router.h"

namespace idgen::apphost {

// The page: src/apphost/dashboard.html byte for byte, compiled in at build
// time (dashboard_page.cc.in; the HTML, CSS and JavaScript in one file).
const std::string& DashboardPage();

class Dashboard {
 public:
  // Binds `listen` and serves. `supervisor`, `telemetry` and `access` must
  // outlive the dashboard; Start sets access's port.
  static absl::StatusOr<std::unique_ptr<Dashboard>> Start(const std::string& listen,
                                                          Supervisor* supervisor,
                                                          TelemetryStore* telemetry,
                                                          DashboardAccess* access);
  ~Dashboard();
  int port() const;
  void Stop();

 private:
  Dashboard(Supervisor* supervisor, TelemetryStore* telemetry, DashboardAccess* access)
      : supervisor_(supervisor), telemetry_(telemetry), access_(access) {}
  // False (with `resp` filled: 403, 401 or the login form) when the request
  // may not reach its route.
  bool Admit(const http::Request& req, http::Response& resp) const;
  void Login(const http::Request& req, http::Response& resp) const;
  void AddRoutes();
  void AddTelemetryRoutes();

  Supervisor* const supervisor_;
  TelemetryStore* const telemetry_;
  DashboardAccess* const access_;
  http::Router router_;
  std::unique_ptr<http::HttpServer> server_;
};

}  // namespace idgen::apphost

#endif  // IDGEN_APPHOST_DASHBOARD_H_
