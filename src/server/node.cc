// Copyright idgen authors.
#include "src/server/node.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>

#include <google/protobuf/util/json_util.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "idgen/random.h"
#include "src/http/http_server.h"
#include "src/http/router.h"
#include "src/server/id_service.h"
#include "src/server/node_metrics.h"
#include "src/server/reservation_keeper.h"
#include "src/telemetry/prometheus_text.h"
#include "src/telemetry/telemetry.h"

namespace idgen::server {
namespace {

constexpr char kServiceName[] = "idgen.v1.IdGenerator";

std::string Hostname() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  return buf;
}

// The worker id must fit every snowflake layout the node serves.
int64_t MaxWorkers(const ServerConfig& config) {
  int64_t max = 1024;
  bool any = false;
  for (const NamespaceConfig& ns : config.namespaces) {
    if (ns.scheme != Scheme::kSnowflake) continue;
    const int64_t n = static_cast<int64_t>(ns.layout.max_worker()) + 1;
    max = any ? std::min(max, n) : n;
    any = true;
  }
  return max;
}

std::string ProblemJson(const std::string& status, const std::string& reason) {
  std::string out = "{\"status\":\"" + status + "\"";
  if (!reason.empty()) {
    out += ",\"reason\":\"";
    for (char c : reason) {
      if (c == '"' || c == '\\') out += '\\';
      if (static_cast<unsigned char>(c) >= 0x20) out += c;
    }
    out += "\"";
  }
  return out + "}";
}

}  // namespace

absl::StatusOr<std::unique_ptr<Node>> Node::Create(NodeOptions options,
                                                   coord::LeaseProvider* leases, Clock* clock) {
  coord::AcquireOptions acquire;
  acquire.worker_id = options.worker_id;
  acquire.max_workers = MaxWorkers(options.config);
  if (options.max_workers) {
    if (*options.max_workers < 1) {
      return absl::InvalidArgumentError("max workers must be at least 1");
    }
    acquire.max_workers = std::min(acquire.max_workers, *options.max_workers);
  }
  if (options.node_name.empty()) options.node_name = Hostname();
  acquire.node_name = options.node_name;
  acquire.node_address = options.listen;
  absl::StatusOr<std::unique_ptr<coord::WorkerLease>> lease = leases->Acquire(acquire);
  if (!lease.ok()) return lease.status();

  std::unique_ptr<Node> node(new Node(std::move(options), std::move(*lease), clock));
  const int64_t floor = node->lease_->floor_unix_ms();
  std::vector<IdNamespace*> raw;
  for (const NamespaceConfig& nc : node->options_.config.namespaces) {
    absl::StatusOr<std::unique_ptr<IdNamespace>> ns = IdNamespace::Create(
        nc, node->lease_->worker_id(), floor, floor, clock, OsRandom::Default());
    if (!ns.ok()) return ns.status();
    raw.push_back(ns->get());
    node->namespaces_.push_back(std::move(*ns));
  }
  node->keeper_ = std::make_unique<ReservationKeeper>(node->lease_.get(), raw, clock,
                                                      node->options_.config.reservation_ahead);
  if (absl::Status s = node->keeper_->RaiseNow(); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("cannot store the time reservation: ", s.message()));
  }
  return node;
}

Node::Node(NodeOptions options, std::unique_ptr<coord::WorkerLease> lease, Clock* clock)
    : options_(std::move(options)),
      lease_(std::move(lease)),
      clock_(clock),
      started_at_ms_(clock->WallUnixMillis()) {}

Node::~Node() { Shutdown(absl::ZeroDuration()); }

absl::Status Node::Gate() const {
  if (draining_.load(std::memory_order_relaxed)) {
    return absl::UnavailableError("node is shutting down; retry on another node");
  }
  if (!lease_->Held()) {
    return absl::UnavailableError("node holds no worker id (lease lost); retry on another node");
  }
  return absl::OkStatus();
}

absl::Status Node::Ready() const {
  if (absl::Status g = Gate(); !g.ok()) return g;
  const int64_t now = clock_->WallUnixMillis();
  const int64_t reserved = keeper_->reserved_until_ms();
  if (reserved <= now) {
    absl::Status err = keeper_->last_error();
    return absl::UnavailableError(absl::StrCat(
        "time reservation (", reserved, " ms) is behind the clock (", now,
        " ms): the reservation store is failing", err.ok() ? "" : ": ", err.message()));
  }
  for (const auto& ns : namespaces_) {
    SnowflakeGenerator* gen = ns->snowflake();
    if (gen == nullptr || gen->ObserveClock() != ClockState::kRefusing) continue;
    return absl::UnavailableError(absl::StrCat(
        "namespace ", ns->name(), ": wall clock is ", gen->clock_lag_ms(),
        " ms behind the last issued ID or the stored reservation, beyond the borrow bound of ",
        absl::ToInt64Milliseconds(ns->config().clock.max_borrow),
        " ms; refusing until the clock catches up"));
  }
  return absl::OkStatus();
}

void Node::FillInfo(v1::GetInfoResponse* info) const {
  info->set_node(options_.node_name);
  info->set_worker_id(lease_->Held() ? lease_->worker_id() : -1);
  for (const auto& ns : namespaces_) ns->FillInfo(info->add_namespaces());
  info->set_reserved_until_ms(keeper_->reserved_until_ms());
  const coord::LeaseStatus ls = lease_->Status();
  v1::LeaseInfo* li = info->mutable_lease();
  li->set_backend(ls.backend);
  li->set_state(ls.state);
  li->set_lease_id(ls.lease_id);
  li->set_ttl_left_ms(ls.ttl_left_ms);
  li->set_detail(ls.detail);
  const absl::Status ready = Ready();
  info->set_serving(ready.ok());
  info->set_not_serving_reason(std::string(ready.message()));
  info->set_version(IDGEN_VERSION);
  info->set_started_at_ms(started_at_ms_);
}

absl::Status Node::Start() {
  std::unordered_map<std::string, IdNamespace*> by_name;
  for (const auto& ns : namespaces_) by_name[ns->name()] = ns.get();
  service_ = std::make_unique<IdService>(
      std::move(by_name), [this] { return Gate(); },
      [this](v1::GetInfoResponse* info) { FillInfo(info); });
  telemetry::Telemetry* const tel = options_.telemetry;
  if (tel != nullptr) {
    std::vector<const IdNamespace*> raw;
    for (const auto& ns : namespaces_) raw.push_back(ns.get());
    metrics_ = std::make_unique<NodeMetrics>(
        &tel->meter(), std::move(raw), keeper_.get(), lease_.get(), clock_,
        [this] { return Ready(); }, [this] { return draining_.load(); });
    service_->SetCounters(metrics_->counters());
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (tel != nullptr) builder.experimental().SetInterceptorCreators(tel->ServerInterceptors());
  builder.AddListeningPort(options_.listen, grpc::InsecureServerCredentials(), &grpc_port_);
  builder.RegisterService(service_.get());
  grpc_server_ = builder.BuildAndStart();
  if (grpc_server_ == nullptr || grpc_port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for gRPC on ", options_.listen,
                                               " (address in use or invalid?)"));
  }

  router_ = std::make_unique<http::Router>();
  http::Router& router = *router_;
  (void)router.Add("GET", "/alive",
                   [](const http::Request&, const http::PathParams&, http::Response& resp) {
                     resp.body = "{\"status\":\"alive\"}";
                   });
  (void)router.Add("GET", "/health",
                   [this](const http::Request&, const http::PathParams&, http::Response& resp) {
                     const absl::Status ready = Ready();
                     resp.status = ready.ok() ? 200 : 503;
                     resp.body = ready.ok()
                                     ? ProblemJson("serving", "")
                                     : ProblemJson("not_serving", std::string(ready.message()));
                   });
  (void)router.Add("GET", "/info",
                   [this](const http::Request&, const http::PathParams&, http::Response& resp) {
                     v1::GetInfoResponse info;
                     FillInfo(&info);
                     google::protobuf::util::JsonPrintOptions opts;
                     opts.preserve_proto_field_names = true;
                     opts.always_print_primitive_fields = true;
                     (void)google::protobuf::util::MessageToJsonString(info, &resp.body, opts);
                   });
  if (tel != nullptr) {
    (void)router.Add("GET", "/metrics",
                     [tel](const http::Request&, const http::PathParams&, http::Response& resp) {
                       resp.content_type = telemetry::kPrometheusContentType;
                       resp.body = tel->PrometheusText();
                     });
  }
  http::HttpServer::Options http_opts;
  http_opts.listen = options_.admin_listen;
  http_opts.handler = router_->AsHandler();
  if (tel != nullptr) {
    // Admin routes are all literal paths, so a matched route is the path.
    http_opts.handler = tel->InstrumentHttp(http_opts.handler, [this](const http::Request& req) {
      for (const http::Router::Route& r : router_->routes()) {
        if (r.pattern == req.path) return r.pattern;
      }
      return std::string();
    });
  }
  absl::StatusOr<std::unique_ptr<http::HttpServer>> admin = http::HttpServer::Start(http_opts);
  if (!admin.ok()) {
    grpc_server_->Shutdown();
    return absl::Status(admin.status().code(),
                        absl::StrCat("admin HTTP: ", admin.status().message()));
  }
  admin_ = std::move(*admin);

  keeper_->Start();
  health_thread_ = std::thread([this] { HealthLoop(); });
  return absl::OkStatus();
}

void Node::HealthLoop() {
  grpc::HealthCheckServiceInterface* health = grpc_server_->GetHealthCheckService();
  int last = -1;
  do {
    const bool serving = Ready().ok();
    if (static_cast<int>(serving) != last) {
      health->SetServingStatus("", serving);
      health->SetServingStatus(kServiceName, serving);
      last = static_cast<int>(serving);
    }
  } while (!stop_health_.WaitForNotificationWithTimeout(absl::Milliseconds(100)));
}

int Node::admin_port() const { return admin_ ? admin_->port() : 0; }

void Node::Shutdown(absl::Duration drain) {
  if (stopped_.exchange(true)) return;
  draining_.store(true);
  if (grpc_server_) {
    // Not ready first, so load balancers stop sending; then drain.
    grpc_server_->GetHealthCheckService()->SetServingStatus("", false);
    grpc_server_->GetHealthCheckService()->SetServingStatus(kServiceName, false);
  }
  if (!stop_health_.HasBeenNotified()) stop_health_.Notify();
  if (health_thread_.joinable()) health_thread_.join();
  if (grpc_server_) {
    grpc_server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(drain));
    grpc_server_->Wait();
  }
  if (keeper_) keeper_->Stop();
  // Persist a reservation that covers everything issued, then free the id.
  // Nothing is in flight any more, so the reservation can come down to what
  // was really issued: a node restarted at once then serves at once.
  if (keeper_ && lease_->Held()) {
    int64_t high = lease_->floor_unix_ms();
    for (const auto& ns : namespaces_) high = std::max(high, ns->last_issued_unix_ms());
    if (absl::Status s = lease_->Settle(high); !s.ok()) {
      std::cerr << "idgen: final reservation write failed: " << s << "\n";
    }
  }
  if (admin_) admin_->Stop();
  (void)lease_->Release();
}

}  // namespace idgen::server
