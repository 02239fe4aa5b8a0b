// Copyright idgen authors.
#include "src/apphost/dashboard.h"

#include <optional>
#include <string>
#include <string_view>

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
  // The detail may quote a caller's bytes (a query parameter), which need
  // not be UTF-8: replaced, not thrown (a strict dump answered 500).
  resp.body =
      Json{{"type", "about:blank"}, {"title", title}, {"status", status}, {"detail", detail}}.dump(
          -1, ' ', false, Json::error_handler_t::replace);
}

// The page shown instead of the dashboard without a session: a form for the
// token, and nothing about the resources.
constexpr std::string_view kLoginPage = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>idgen dashboard: log in</title>
<style>body{font-family:system-ui,sans-serif;margin:4em auto;max-width:32em;color:#222}
input{font:inherit;padding:.3em;width:100%;box-sizing:border-box}button{font:inherit;margin-top:.6em}
.err{color:#b00}</style></head>
<body><h1>idgen dashboard</h1>
<p>Open the login URL that <code>idgen up</code> printed, or paste its token
(the part after <code>?t=</code>) here.</p>
<!--ERROR-->
<form id="login" method="post" action="/login">
<label for="t">Token</label> <input id="t" name="t" type="password" autocomplete="off" autofocus>
<button type="submit">Log in</button></form></body></html>
)";

void LoginPage(http::Response& resp, int status, bool wrong_token) {
  resp.status = status;
  resp.content_type = "text/html; charset=utf-8";
  resp.body = std::string(kLoginPage);
  if (wrong_token) {
    const std::string marker = "<!--ERROR-->";
    resp.body.replace(resp.body.find(marker), marker.size(),
                      R"(<p class="err" id="error">That token is not this dashboard's.</p>)");
  }
  resp.headers.emplace_back("Cache-Control", "no-store");
}

// The value of field `name` in an application/x-www-form-urlencoded body.
std::optional<std::string> FormField(std::string_view body, std::string_view name) {
  while (!body.empty()) {
    const size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
    std::string value;
    if (!http::PercentDecode(pair.substr(eq + 1), /*plus_is_space=*/true, &value)) {
      return std::nullopt;
    }
    return value;
  }
  return std::nullopt;
}

// What the services and probes call: no session, and checked by Origin only
// (a service may name the dashboard by its listen address, e.g. 0.0.0.0).
bool ForServices(std::string_view path) {
  return path == "/health" || path == "/alive" || path == "/v1/traces" || path == "/v1/metrics" ||
         path == "/v1/logs";
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
                                                            TelemetryStore* telemetry,
                                                            DashboardAccess* access) {
  std::unique_ptr<Dashboard> d(new Dashboard(supervisor, telemetry, access));
  d->AddRoutes();
  d->AddTelemetryRoutes();
  http::HttpServer::Options opts;
  opts.listen = listen;
  opts.threads = 2;
  opts.max_body_bytes = kMaxOtlpMessageBytes;  // the OTLP/HTTP receiver's limit
  opts.handler = [dash = d.get(), routes = d->router_.AsHandler()](const http::Request& req,
                                                                   http::Response& resp) {
    if (dash->Admit(req, resp)) routes(req, resp);
  };
  absl::StatusOr<std::unique_ptr<http::HttpServer>> server = http::HttpServer::Start(opts);
  if (!server.ok()) {
    return absl::Status(server.status().code(),
                        absl::StrCat("dashboard: ", server.status().message()));
  }
  // Until this, every request is refused (a Host check against port 0).
  access->SetPort(server.value()->port());
  d->server_ = *std::move(server);
  return d;
}

Dashboard::~Dashboard() { Stop(); }

int Dashboard::port() const { return server_ ? server_->port() : 0; }

void Dashboard::Stop() {
  if (server_) server_->Stop();
}

bool Dashboard::Admit(const http::Request& req, http::Response& resp) const {
  if (access_->open()) return true;
  const bool for_services = ForServices(req.path);
  if (const std::string why = access_->CheckSite(req, /*check_host=*/!for_services); !why.empty()) {
    Problem(resp, 403, "Forbidden", why);
    return false;
  }
  if (for_services || req.path == "/login" || access_->HasSession(req)) return true;
  if (req.path == "/" && (req.method == "GET" || req.method == "HEAD")) {
    LoginPage(resp, 200, /*wrong_token=*/false);
    return false;
  }
  Problem(resp, 401, "Not logged in",
          "log in through the URL idgen up printed (/login?t=TOKEN), or paste the token on /");
  return false;
}

void Dashboard::Login(const http::Request& req, http::Response& resp) const {
  std::optional<std::string> token;
  if (req.method == "POST") {
    token = FormField(req.body, "t");
  } else if (auto t = req.QueryParam("t"); t.has_value()) {
    token = std::string(*t);
  }
  if (access_->open()) {
    resp.status = 303;
    resp.headers.emplace_back("Location", "/");
    return;
  }
  if (!token.has_value() || !access_->TokenMatches(*token)) {
    LoginPage(resp, 401, /*wrong_token=*/token.has_value());
    return;
  }
  absl::StatusOr<std::string> cookie = access_->NewSession();
  if (!cookie.ok()) {
    Problem(resp, 500, "No session", std::string(cookie.status().message()));
    return;
  }
  resp.status = 303;
  resp.content_type.clear();
  resp.headers.emplace_back("Location", "/");
  resp.headers.emplace_back("Set-Cookie", *std::move(cookie));
  resp.headers.emplace_back("Cache-Control", "no-store");
}

void Dashboard::AddRoutes() {
  Supervisor* sup = supervisor_;
  for (const char* method : {"GET", "POST"}) {
    (void)router_.Add(method, "/login",
                      [this](const http::Request& req, const http::PathParams&,
                             http::Response& resp) { Login(req, resp); });
  }
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
