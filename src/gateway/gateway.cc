// Copyright idgen authors.
#include "src/gateway/gateway.h"

#include <algorithm>
#include <iostream>
#include <utility>

#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "src/auth/auth_metrics.h"
#include "src/auth/authenticator.h"
#include "src/auth/quota.h"
#include "src/base/status_macros.h"
#include "src/gateway/backends.h"
#include "src/gateway/id_render.h"
#include "src/gateway/id_request.h"
#include "src/gateway/json_body.h"
#include "src/gateway/pool_fetch.h"
#include "src/gateway/problem.h"
#include "src/gateway/request_access.h"
#include "src/http/http_server.h"
#include "src/http/router.h"
#include "src/http/tls_context.h"
#include "src/security/certificate_metrics.h"
#include "src/telemetry/http_server_metrics.h"
#include "src/telemetry/prometheus_text.h"
#include "src/telemetry/telemetry.h"

namespace idgen::gateway {
namespace {

using http::Done;
using http::PathParams;
using http::Request;
using http::Response;

// Answers an expected failure of request parsing: 429 for a count above the
// limit, 400 for everything else.
void WriteRequestError(const absl::Status& s, Response& resp) {
  WriteProblem(s.code() == absl::StatusCode::kResourceExhausted
                   ? BatchLimit(std::string(s.message()))
                   : BadParameter(std::string(s.message())),
               resp);
}

void WriteBackendError(const grpc::Status& s, Response& resp) {
  WriteProblem(FromGrpc(static_cast<int>(s.error_code()), s.error_message()), resp);
  if (resp.status == 503 || resp.status == 429) resp.headers.emplace_back("Retry-After", "1");
}

// The same for a backend error that came through the ID pool (absl and gRPC
// status codes share their values).
void WriteBackendError(const absl::Status& s, Response& resp) {
  WriteBackendError(grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message())),
                    resp);
}

void WriteOverloaded(int limit, Response& resp) {
  WriteProblem(
      Overloaded(absl::StrCat("the gateway already has ", limit,
                              " requests waiting for the backends (--max-in-flight); retry "
                              "shortly")),
      resp);
  resp.headers.emplace_back("Retry-After", "1");
}

// The public /v1/info answer: each backend's GetInfo by its position in
// --backends, without what only operators should see (backend addresses,
// state-dir paths in the lease detail and the not-serving reason, transport
// errors that name addresses); the node's admin /info has all of it.
std::string InfoJson(std::vector<Backends::InfoReport>& reports, bool* any_ok) {
  nlohmann::ordered_json backends = nlohmann::ordered_json::array();
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  opts.always_print_primitive_fields = true;
  *any_ok = false;
  for (size_t i = 0; i < reports.size(); ++i) {
    const Backends::InfoReport& r = reports[i];
    nlohmann::ordered_json b;
    b["index"] = i;
    b["ok"] = r.status.ok();
    std::string info;
    if (r.status.ok() && google::protobuf::util::MessageToJsonString(r.info, &info, opts).ok()) {
      *any_ok = true;
      nlohmann::ordered_json j = nlohmann::ordered_json::parse(info, nullptr, false);
      if (j.is_object()) {
        j.erase("not_serving_reason");
        if (auto lease = j.find("lease"); lease != j.end() && lease->is_object()) {
          lease->erase("detail");
        }
      }
      b["info"] = std::move(j);
    } else {
      b["ok"] = false;
      b["error"] = {{"grpc_status", GrpcCodeName(static_cast<int>(r.status.error_code()))},
                    {"message", "the backend did not answer GetInfo"}};
    }
    backends.push_back(std::move(b));
  }
  nlohmann::ordered_json j;
  j["backends"] = std::move(backends);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::ordered_json HealthJson(const std::vector<Backends::HealthReport>& reports,
                                  bool* serving) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  *serving = false;
  for (const Backends::HealthReport& r : reports) {
    nlohmann::ordered_json b;
    b["backend"] = r.backend;
    b["status"] = r.status;
    if (!r.detail.empty()) b["detail"] = r.detail;
    *serving = *serving || r.status == "SERVING";
    list.push_back(std::move(b));
  }
  return list;
}

}  // namespace

Gateway::Gateway(GatewayOptions options)
    : options_(std::move(options)),
      swagger_ui_(SwaggerUi::Load(options_.swagger_ui_dir)),
      router_(std::make_unique<http::Router>(WriteHttpError)) {}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Start(GatewayOptions options) {
  if (options.max_count < 1 || options.max_count > 1'000'000) {
    return absl::InvalidArgumentError("--max-count must be in 1..1000000");
  }
  if (options.pool.cap < 1 || options.pool.cap > 1'000'000) {
    return absl::InvalidArgumentError("--coalesce-max-ids must be in 1..1000000");
  }
  if (options.pool.prefetch > 1'000'000) {
    return absl::InvalidArgumentError("--prefetch must be in 0..1000000");
  }
  if (options.pool.max_age < absl::Milliseconds(1) || options.pool.max_age > absl::Minutes(1)) {
    return absl::InvalidArgumentError("--prefetch-max-age-ms must be in 1..60000");
  }
  IDGEN_RETURN_IF_ERROR(security::CheckTlsServerConfig(options.tls, absl::Now()));
  if (options.authenticator == nullptr) {
    IDGEN_ASSIGN_OR_RETURN(options.authenticator, auth::Authenticator::Create({}));
  }
  if (options.quota == nullptr) {
    options.quota = std::make_shared<auth::Quota>(auth::QuotaOptions{}, SystemClock::Get());
  }
  std::unique_ptr<Gateway> gw(new Gateway(std::move(options)));
  gw->access_ =
      std::make_unique<RequestAccess>(gw->options_.authenticator.get(), gw->options_.quota.get());
  std::shared_ptr<http::TlsContextSource> tls;
  if (gw->options_.tls.enabled()) {
    telemetry::Telemetry* const log_to = gw->options_.telemetry;
    IDGEN_ASSIGN_OR_RETURN(
        gw->tls_watcher_,
        security::CertificateWatcher::Create(
            gw->options_.tls, {"http"}, SystemClock::Get(),
            security::TlsReloadLog(log_to != nullptr ? &log_to->logger() : nullptr)));
    IDGEN_ASSIGN_OR_RETURN(tls, http::TlsContextSource::Create(gw->tls_watcher_));
  }
  IDGEN_ASSIGN_OR_RETURN(std::unique_ptr<Backends> backends,
                         Backends::Create(gw->options_.backend, gw->options_.telemetry));
  gw->backends_ = std::move(backends);
  pool::IdPoolOptions pool_options = gw->options_.pool;
  pool_options.max_waiting = gw->options_.backend.max_in_flight;
  pool_options.max_calls = std::max<int>(2, static_cast<int>(gw->options_.backend.backends.size()));
  gw->pool_ = std::make_unique<pool::IdPool>(pool_options, PoolFetch(gw->backends_.get()),
                                             SystemClock::Get());
  IDGEN_RETURN_IF_ERROR(gw->AddRoutes());
  http::HttpServer::Options http_opts;
  http_opts.listen = gw->options_.listen;
  http_opts.threads = gw->options_.threads;
  http_opts.max_body_bytes = gw->options_.max_body_bytes;
  http_opts.max_header_bytes = gw->options_.max_header_bytes;
  http_opts.max_connections = gw->options_.max_connections;
  http_opts.idle_timeout = gw->options_.idle_timeout;
  http_opts.header_timeout = gw->options_.header_timeout;
  http_opts.stop_timeout = gw->options_.backend.call_timeout + absl::Seconds(1);
  http_opts.async_handler = gw->router_->AsAsyncHandler();
  if (telemetry::Telemetry* tel = gw->options_.telemetry; tel != nullptr) {
    const http::Router* router = gw->router_.get();
    http_opts.async_handler = tel->InstrumentHttpAsync(
        http_opts.async_handler,
        [router](const http::Request& req) { return router->RouteOf(req.method, req.path); });
  }
  http_opts.error_writer = WriteHttpError;
  if (tls != nullptr) http_opts.tls = [tls] { return tls->Current(); };
  IDGEN_ASSIGN_OR_RETURN(std::unique_ptr<http::HttpServer> server,
                         http::HttpServer::Start(std::move(http_opts)));
  gw->server_ = std::move(server);
  if (gw->options_.telemetry != nullptr) {
    auth::RegisterAuthMetrics(&gw->options_.telemetry->meter(), gw->options_.authenticator.get(),
                              gw->options_.quota.get(), gw.get());
    telemetry::RegisterHttpServerMetrics(&gw->options_.telemetry->meter(), gw->server_.get(),
                                         "http", gw.get());
    gw->StartHealthPoll();
    if (gw->tls_watcher_ != nullptr) {
      security::RegisterCertificateMetrics(&gw->options_.telemetry->meter(), gw->tls_watcher_.get(),
                                           gw.get());
    }
  }
  if (gw->tls_watcher_ != nullptr) gw->tls_watcher_->StartPolling();
  return gw;
}

void Gateway::ReloadTls() {
  if (tls_watcher_ != nullptr) tls_watcher_->ReloadNow();
}

Gateway::~Gateway() { Stop(); }

int Gateway::port() const { return server_ ? server_->port() : 0; }

void Gateway::StartHealthPoll() {
  telemetry::Meter& meter = options_.telemetry->meter();
  meter.CreateObservableGauge(
      "idgen.gateway.backend.serving",
      "1 while a backend reports SERVING (in the round-robin rotation), 0 when health checking "
      "keeps it out",
      "",
      [this](telemetry::Observer& o) {
        idgen::MutexLock lock(&health_mu_);
        for (const auto& [backend, up] : serving_) {
          o.Observe(int64_t{up ? 1 : 0}, {{"idgen.backend", backend}});
        }
      },
      this);
  meter.CreateObservableGauge(
      "idgen.gateway.backend.in_flight", "Calls to the backends in flight now", "{call}",
      [this](telemetry::Observer& o) {
        if (backends_) o.Observe(int64_t{backends_->in_flight()});
      },
      this);
  meter.CreateObservableCounter(
      "idgen.gateway.pool.requests",
      "ID requests answered through the pool (pooled: coalesced or prefetched) or sent "
      "straight to a backend (bypassed: larger than --coalesce-max-ids, or pooling off)",
      "{request}",
      [this](telemetry::Observer& o) {
        const pool::IdPool::Stats st = pool_->stats();
        o.Observe(static_cast<int64_t>(st.requests), {{"idgen.pool.path", "pooled"}});
        o.Observe(static_cast<int64_t>(st.bypassed), {{"idgen.pool.path", "bypassed"}});
      },
      this);
  meter.CreateObservableCounter(
      "idgen.gateway.pool.calls", "NextIds calls the pool made for pooled requests and refills",
      "{call}", [this](telemetry::Observer& o) { o.Observe(int64_t(pool_->stats().calls)); }, this);
  meter.CreateObservableCounter(
      "idgen.gateway.pool.discarded",
      "IDs fetched but never handed out (gaps, never duplicates): stale = older than "
      "--prefetch-max-age-ms, unused = a block's remainder no request could take",
      "{id}",
      [this](telemetry::Observer& o) {
        const pool::IdPool::Stats st = pool_->stats();
        o.Observe(static_cast<int64_t>(st.discarded_stale), {{"idgen.reason", "stale"}});
        o.Observe(static_cast<int64_t>(st.discarded_unused), {{"idgen.reason", "unused"}});
      },
      this);
  meter.CreateObservableGauge(
      "idgen.gateway.pool.ready", "Prefetched IDs ready to hand out, all namespaces", "{id}",
      [this](telemetry::Observer& o) { o.Observe(int64_t(pool_->stats().ready)); }, this);
  meter.CreateObservableGauge(
      "idgen.gateway.pool.waiting", "ID requests waiting for a backend call now", "{request}",
      [this](telemetry::Observer& o) { o.Observe(int64_t(pool_->stats().waiting)); }, this);
  poller_ = std::thread([this] {
    do {
      PollHealth();
    } while (!stop_poll_.WaitForNotificationWithTimeout(absl::Seconds(1)));
  });
}

void Gateway::PollHealth() {
  auto done = std::make_shared<absl::Notification>();
  backends_->HealthAll([this, done](std::vector<Backends::HealthReport>& reports) {
    {
      idgen::MutexLock lock(&health_mu_);
      for (const Backends::HealthReport& r : reports) serving_[r.backend] = r.status == "SERVING";
    }
    done->Notify();
  });
  // HealthAll answers within its per-backend deadline (500 ms); Stop joins
  // this thread before the Backends go away, so a late answer is still safe.
  (void)done->WaitForNotificationWithTimeout(absl::Seconds(5));
}

void Gateway::Stop() {
  if (poller_.joinable()) {
    stop_poll_.Notify();
    poller_.join();
  }
  if (options_.telemetry != nullptr) options_.telemetry->meter().Unregister(this);
  if (server_) server_->Stop();
  // Requests still waiting: 503, no new calls.
  if (pool_) pool_->Close(absl::UnavailableError("the gateway is stopping"));
  backends_.reset();  // waits for callbacks still due
  pool_.reset();
  server_.reset();
}

absl::Status Gateway::AddRoutes() {
  http::Router& r = *router_;
  Backends* backends = backends_.get();
  const uint32_t max_count = options_.max_count;

  pool::IdPool* id_pool = pool_.get();
  const int max_in_flight = options_.backend.max_in_flight;
  const RequestAccess* access = access_.get();
  // Credentials, scope, namespace and quota, then the pool; IDs not issued
  // are given back to the caller's quota.
  auto issue = [id_pool, max_in_flight, access](const Request& req, const IdsRequest& ids,
                                                Response& resp, const Done& done) {
    Admission who;
    if (!access->Identify(req, auth::kScopeGenerate, &who, resp) ||
        !access->Admit(&who, ids.ns, ids.count, resp)) {
      return done();
    }
    const Charge charge = who.charge;
    const IdFormat format = ids.format;
    const bool taken = id_pool->Take(
        ids.ns, ids.count, pool::CallContext::Of(telemetry::CurrentSpanContext()),
        [&resp, done, format, max_in_flight, access, charge](pool::IdPool::Result& result) {
          const bool issued = !result.overloaded && result.status.ok();
          if (result.overloaded) {
            WriteOverloaded(max_in_flight, resp);
          } else if (result.status.ok()) {
            resp.body = RenderIds(ToNextIdsResponse(std::move(result.ids)), format);
          } else {
            WriteBackendError(result.status, resp);
          }
          access->Settle(charge, issued);
          done();
        });
    if (!taken) {
      access->Settle(charge, false);
      WriteOverloaded(max_in_flight, resp);
      done();
    }
  };

  absl::Status s = r.AddAsync(
      "GET", "/v1/ids",
      [issue, max_count](const Request& req, const PathParams&, Response& resp, const Done& done) {
        absl::StatusOr<IdsRequest> ids = ParseIdsQuery(req.query, max_count);
        if (!ids.ok()) {
          WriteRequestError(ids.status(), resp);
          return done();
        }
        issue(req, *ids, resp, done);
      });
  if (s.ok()) {
    s = r.AddAsync(
        "POST", "/v1/ids",
        [issue, max_count](const Request& req, const PathParams&, Response& resp,
                           const Done& done) {
          if (!IsJsonMediaType(req.Header("content-type"))) {
            WriteProblem(UnsupportedMediaType("POST /v1/ids takes a JSON body: send Content-Type: "
                                              "application/json"),
                         resp);
            resp.headers.emplace_back("Accept-Post", "application/json");
            return done();
          }
          if (!req.query.empty()) {
            WriteProblem(BadParameter("POST /v1/ids takes its parameters in the JSON body, "
                                      "not in the query"),
                         resp);
            return done();
          }
          absl::StatusOr<IdsRequest> ids = ParseIdsBody(req.body, max_count);
          if (!ids.ok()) {
            WriteRequestError(ids.status(), resp);
            return done();
          }
          issue(req, *ids, resp, done);
        });
  }
  // HEAD must not issue IDs (a safe method): 405, Allow: GET, POST.
  if (s.ok()) s = r.DisableHead("/v1/ids");
  if (s.ok()) {
    s = r.AddAsync("GET", "/v1/ids/{id}/decode",
                   [backends, access](const Request& req, const PathParams& params, Response& resp,
                                      const Done& done) {
                     Admission who;
                     if (!access->Identify(req, auth::kScopeDecode, &who, resp)) return done();
                     std::string id_text(params.Get("id").value_or(""));
                     absl::StatusOr<DecodeRequest> d = ParseDecode(id_text, req.query);
                     if (!d.ok()) {
                       WriteRequestError(d.status(), resp);
                       return done();
                     }
                     if (!access->CheckNamespace(who, d->ns, resp)) return done();
                     v1::DecodeRequest request;
                     request.set_namespace_(d->ns);
                     if (const auto* id64 = std::get_if<uint64_t>(&d->id)) {
                       request.set_id(*id64);
                     } else {
                       const Id128& id = std::get<Id128>(d->id);
                       request.set_id128(std::string(id.begin(), id.end()));
                     }
                     const bool started = backends->Decode(
                         request, [&resp, done, ns = d->ns, id_text = std::move(id_text)](
                                      const grpc::Status& st, v1::DecodeResponse& decoded) {
                           if (st.ok()) {
                             resp.body = RenderDecode(ns, id_text, decoded);
                           } else {
                             WriteBackendError(st, resp);
                           }
                           done();
                         });
                     if (!started) {
                       WriteOverloaded(backends->config().max_in_flight, resp);
                       done();
                     }
                   });
  }
  if (s.ok()) {
    s = r.AddAsync("GET", "/v1/info",
                   [backends, access](const Request& req, const PathParams&, Response& resp,
                                      const Done& done) {
                     Admission who;
                     if (!access->Identify(req, auth::kScopeInfo, &who, resp)) return done();
                     backends->InfoAll([&resp, done](std::vector<Backends::InfoReport>& reports) {
                       bool any_ok = false;
                       std::string body = InfoJson(reports, &any_ok);
                       if (any_ok) {
                         resp.body = std::move(body);
                       } else {
                         Problem p = FromGrpc(14, "no backend answered GetInfo");
                         WriteProblem(p, resp);
                         resp.headers.emplace_back("Retry-After", "1");
                       }
                       done();
                     });
                   });
  }
  if (s.ok()) {
    s = r.AddAsync(
        "GET", "/health",
        [backends](const Request&, const PathParams&, Response& resp, const Done& done) {
          backends->HealthAll([&resp, done](std::vector<Backends::HealthReport>& reports) {
            bool serving = false;
            nlohmann::ordered_json list = HealthJson(reports, &serving);
            nlohmann::ordered_json j;
            if (serving) {
              j["status"] = "serving";
            } else {
              Problem p;
              p.status = 503;
              p.slug = "not-serving";
              p.title = "No backend is serving";
              p.detail = "no backend reports SERVING for idgen.v1.IdGenerator";
              WriteProblem(p, resp);
              j = nlohmann::ordered_json::parse(resp.body);
            }
            j["backends"] = std::move(list);
            resp.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            done();
          });
        });
  }
  if (s.ok()) {
    s = r.Add("GET", "/alive", [](const Request&, const PathParams&, Response& resp) {
      resp.body = R"({"status":"alive"})";
    });
  }
  if (s.ok()) {
    // Always served (also without telemetry export), so Prometheus can
    // scrape every process the same way.
    telemetry::Telemetry* tel = options_.telemetry;
    s = r.Add("GET", "/metrics", [tel](const Request&, const PathParams&, Response& resp) {
      resp.content_type = telemetry::kPrometheusContentType;
      resp.body = tel != nullptr ? tel->PrometheusText() : std::string();
    });
  }
  if (s.ok()) {
    s = r.Add("GET", "/openapi.json", [](const Request&, const PathParams&, Response& resp) {
      resp.body = std::string(OpenApiJson());
    });
  }
  const SwaggerUi* ui = &swagger_ui_;
  auto unavailable = [ui](Response& resp) {
    Problem p;
    p.status = 503;
    p.slug = "docs-unavailable";
    p.title = "Swagger UI is not installed";
    p.detail = std::string(ui->status().message());
    WriteProblem(p, resp);
  };
  if (s.ok()) {
    s = r.Add("GET", "/docs", [ui, unavailable](const Request&, const PathParams&, Response& resp) {
      if (!ui->status().ok()) return unavailable(resp);
      resp.content_type = "text/html; charset=utf-8";
      resp.body = ui->page();
    });
  }
  if (s.ok()) {
    s = r.Add("GET", "/docs/{file}",
              [ui, unavailable](const Request&, const PathParams& params, Response& resp) {
                if (!ui->status().ok()) return unavailable(resp);
                const SwaggerUi::File* f = ui->Find(params.Get("file").value_or(""));
                if (f == nullptr) {
                  return WriteHttpError(404, "no such Swagger UI file", resp);
                }
                resp.content_type = f->content_type;
                resp.body = f->body;
                resp.headers.emplace_back("Cache-Control", "public, max-age=3600");
              });
  }
  return s;
}

}  // namespace idgen::gateway
