// Copyright idgen authors.
//
// Dashboard: the AppHost's web UI and its JSON API, served from memory (no
// CDN, works with no internet) on an HttpServer.
//
//   GET  /                                  the page (resources, logs, buttons)
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
// Errors are application/problem+json (RFC 9457).
//
// Thread-safety: handlers run on the server's threads; the Supervisor is
// thread-safe.
#ifndef IDGEN_APPHOST_DASHBOARD_H_
#define IDGEN_APPHOST_DASHBOARD_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
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
  // Binds `listen` and serves. `supervisor` and `telemetry` must outlive
  // the dashboard.
  static absl::StatusOr<std::unique_ptr<Dashboard>> Start(const std::string& listen,
                                                          Supervisor* supervisor,
                                                          TelemetryStore* telemetry);
  ~Dashboard();
  int port() const;
  void Stop();

 private:
  Dashboard(Supervisor* supervisor, TelemetryStore* telemetry)
      : supervisor_(supervisor), telemetry_(telemetry) {}
  void AddRoutes();
  void AddTelemetryRoutes();

  Supervisor* const supervisor_;
  TelemetryStore* const telemetry_;
  http::Router router_;
  std::unique_ptr<http::HttpServer> server_;
};

}  // namespace idgen::apphost

#endif  // IDGEN_APPHOST_DASHBOARD_H_
