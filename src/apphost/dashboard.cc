// Copyright idgen authors.
#include "src/apphost/dashboard.h"

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/apphost/otlp_receiver.h"

namespace idgen::apphost {
namespace {

using Json = nlohmann::json;

void Problem(http::Response& resp, int status, const std::string& title,
             const std::string& detail) {
  resp.status = status;
  resp.content_type = "application/problem+json";
  resp.body =
      Json{{"type", "about:blank"}, {"title", title}, {"status", status}, {"detail", detail}}
          .dump();
}

Json ViewJson(const ResourceView& v) {
  Json endpoints = Json::array();
  for (const auto& [label, url] : v.spec.endpoints) {
    endpoints.push_back({{"name", label}, {"url", url}});
  }
  Json env = Json::object();
  for (const auto& [k, value] : v.spec.env) env[k] = value;
  return Json{{"name", v.spec.name},
              {"kind", v.spec.kind},
              {"state", v.state},
              {"healthy", v.state == "healthy"},
              {"pid", v.pid},
              {"restarts", v.restarts},
              {"manual_restarts", v.manual_restarts},
              {"last_exit", v.last_exit},
              {"health_detail", v.health_detail},
              {"started_at_ms", v.started_at_ms},
              {"health_url", v.spec.health_url},
              {"depends_on", v.spec.depends_on},
              {"command", v.spec.argv},
              {"endpoints", endpoints},
              {"env", env}};
}

}  // namespace

absl::StatusOr<std::unique_ptr<Dashboard>> Dashboard::Start(const std::string& listen,
                                                            Supervisor* supervisor,
                                                            TelemetryStore* telemetry) {
  std::unique_ptr<Dashboard> d(new Dashboard(supervisor, telemetry));
  d->AddRoutes();
  d->AddTelemetryRoutes();
  http::HttpServer::Options opts;
  opts.listen = listen;
  opts.threads = 2;
  opts.max_body_bytes = kMaxOtlpMessageBytes;  // the OTLP/HTTP receiver's limit
  opts.handler = d->router_.AsHandler();
  absl::StatusOr<std::unique_ptr<http::HttpServer>> server = http::HttpServer::Start(opts);
  if (!server.ok()) {
    return absl::Status(server.status().code(),
                        absl::StrCat("dashboard: ", server.status().message()));
  }
  d->server_ = *std::move(server);
  return d;
}

Dashboard::~Dashboard() { Stop(); }

int Dashboard::port() const { return server_ ? server_->port() : 0; }

void Dashboard::Stop() {
  if (server_) server_->Stop();
}

void Dashboard::AddRoutes() {
  Supervisor* sup = supervisor_;
  (void)router_.Add("GET", "/",
                    [](const http::Request&, const http::PathParams&, http::Response& resp) {
                      resp.content_type = "text/html; charset=utf-8";
                      resp.body = DashboardPage();
                    });
  (void)router_.Add("GET", "/alive",
                    [](const http::Request&, const http::PathParams&, http::Response& resp) {
                      resp.body = R"({"status":"alive"})";
                    });
  (void)router_.Add("GET", "/health",
                    [sup](const http::Request&, const http::PathParams&, http::Response& resp) {
                      Json unhealthy = Json::array();
                      for (const ResourceView& v : sup->Snapshot()) {
                        if (v.state != "healthy") unhealthy.push_back(v.spec.name);
                      }
                      resp.status = unhealthy.empty() ? 200 : 503;
                      resp.body = Json{
                          {"status", unhealthy.empty() ? "healthy" : "degraded"},
                          {"not_healthy",
                           unhealthy}}.dump();
                    });
  (void)router_.Add("GET", "/api/resources",
                    [sup](const http::Request&, const http::PathParams&, http::Response& resp) {
                      Json out = Json::array();
                      for (const ResourceView& v : sup->Snapshot()) out.push_back(ViewJson(v));
                      resp.body = out.dump();
                    });
  (void)router_.Add(
      "GET", "/api/resources/{name}/logs",
      [sup](const http::Request& req, const http::PathParams& params, http::Response& resp) {
        const std::string name(*params.Get("name"));
        LogBuffer* log = sup->Logs(name);
        if (log == nullptr) {
          Problem(resp, 404, "Unknown resource", absl::StrCat("no resource named \"", name, "\""));
          return;
        }
        int64_t after = 0;
        if (auto a = req.QueryParam("after"); a.has_value()) {
          if (!absl::SimpleAtoi(std::string(*a), &after) || after < 0) {
            Problem(
                resp, 400, "Bad parameter",
                absl::StrCat("after must be a whole number >= 0, got \"", std::string(*a), "\""));
            return;
          }
        }
        Json lines = Json::array();
        for (const LogLine& l : log->Since(after)) {
          lines.push_back(
              {{"seq", l.seq}, {"unix_ms", l.unix_ms}, {"stream", l.stream}, {"text", l.text}});
        }
        resp.body = Json{{"resource", name}, {"last_seq", log->last_seq()}, {"lines", lines}}.dump(
            -1, ' ', false, Json::error_handler_t::replace);
      });
  (void)router_.Add(
      "POST", "/api/resources/{name}/{action}",
      [sup](const http::Request&, const http::PathParams& params, http::Response& resp) {
        const std::string name(*params.Get("name"));
        const std::string action(*params.Get("action"));
        absl::Status s;
        if (action == "stop") {
          s = sup->StopResource(name);
        } else if (action == "start") {
          s = sup->StartResource(name);
        } else if (action == "restart") {
          s = sup->RestartResource(name);
        } else {
          Problem(resp, 404, "Unknown action",
                  absl::StrCat("action must be stop, start or restart, got \"", action, "\""));
          return;
        }
        if (!s.ok()) {
          Problem(resp, s.code() == absl::StatusCode::kNotFound ? 404 : 409,
                  s.code() == absl::StatusCode::kNotFound ? "Unknown resource" : "Not now",
                  std::string(s.message()));
          return;
        }
        resp.status = 202;
        resp.body = Json{{"resource", name}, {"action", action}, {"accepted", true}}.dump();
      });
}

void Dashboard::AddTelemetryRoutes() {
  TelemetryStore* store = telemetry_;
  AddOtlpHttpRoutes(router_, store);
  (void)router_.Add(
      "GET", "/api/traces",
      [store](const http::Request& req, const http::PathParams&, http::Response& resp) {
        int64_t limit = 50;
        if (auto l = req.QueryParam("limit"); l.has_value()) {
          if (!absl::SimpleAtoi(std::string(*l), &limit) || limit < 1 || limit > 1000) {
            Problem(resp, 400, "Bad parameter",
                    absl::StrCat("limit must be a whole number in 1..1000, got \"", std::string(*l),
                                 "\""));
            return;
          }
        }
        resp.body = store->TraceList(static_cast<size_t>(limit)).dump();
      });
  (void)router_.Add(
      "GET", "/api/traces/{id}",
      [store](const http::Request&, const http::PathParams& params, http::Response& resp) {
        const std::string id(*params.Get("id"));
        Json trace = store->Trace(id);
        if (trace.is_null()) {
          Problem(resp, 404, "Unknown trace", absl::StrCat("no trace with id \"", id, "\""));
          return;
        }
        resp.body = trace.dump(-1, ' ', false, Json::error_handler_t::replace);
      });
  (void)router_.Add("GET", "/api/metrics",
                    [store](const http::Request&, const http::PathParams&, http::Response& resp) {
                      resp.body = store->Metrics().dump();
                    });
}

}  // namespace idgen::apphost
