// Copyright idgen authors.
#include "src/server/node.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "idgen/v1/idgen.grpc.pb.h"
#include "src/auth/auth_metrics.h"
#include "src/auth/authenticator.h"
#include "src/auth/quota.h"
#include "src/base/status_macros.h"
#include "src/http/http_server.h"
#include "src/http/router.h"
#include "src/http/tls_context.h"
#include "src/security/certificate_metrics.h"
#include "src/security/certificate_watcher.h"
#include "src/security/grpc_tls.h"
#include "src/server/call_access.h"
#include "src/server/cq_server.h"
#include "src/server/grpc_log_bridge.h"
#include "src/server/health_state.h"
#include "src/server/id_service.h"
#include "src/server/node_metrics.h"
#include "src/server/reflection_responder.h"
#include "src/server/segment_metrics.h"
#include "src/server/traced_segment_store.h"
#include "src/telemetry/http_server_metrics.h"
#include "src/telemetry/prometheus_text.h"
#include "src/telemetry/telemetry.h"

namespace idgen::server {
namespace {

// Full service names, from the generated code.
constexpr const char* kServiceName = v1::IdGenerator::service_full_name();
// Threads for segment calls that must wait for a lease (CqServerOptions::
// blocking_threads): one, so such calls wait one after another. Concurrent
// waiters would split each new lease between them, and large batches would
// all run out of time (SegmentBuffer::Take fills a call from every lease
// that lands while it waits).
constexpr int kSegmentWaitThreads = 1;

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

int64_t LayoutMaxWorkers(const ServerConfig& config) { return MaxWorkers(config); }

absl::StatusOr<std::unique_ptr<Node>> Node::Create(NodeOptions options,
                                                   coord::LeaseProvider* leases, Clock* clock) {
  coord::AcquireOptions acquire;
  acquire.worker_id = options.worker_id;
  acquire.max_workers = MaxWorkers(options.config);
  if (options.worker_ids) {
    IDGEN_RETURN_IF_ERROR(coord::CheckWorkerIdRange(*options.worker_ids, acquire.max_workers));
    acquire.min_worker = options.worker_ids->lo;
    acquire.max_workers = options.worker_ids->hi + 1;
  }
  if (options.max_workers) {
    if (*options.max_workers < 1) {
      return absl::InvalidArgumentError("max workers must be at least 1");
    }
    acquire.max_workers = std::min(acquire.max_workers, *options.max_workers);
  }
  IDGEN_RETURN_IF_ERROR(coord::ValidateAcquireOptions(acquire));
  if (options.grpc_threads < 1 || options.grpc_threads > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("gRPC threads must be in 1..64, got ", options.grpc_threads));
  }
  IDGEN_RETURN_IF_ERROR(CheckGrpcLimits(options.grpc_limits));
  IDGEN_RETURN_IF_ERROR(security::CheckTlsServerConfig(options.tls, clock->WallNow()));
  if (!options.tls_allowed_clients.empty() && !options.tls.requires_client_certificates()) {
    return absl::InvalidArgumentError(
        "--tls-allowed-clients needs mutual TLS (--tls-client-ca with --tls-client-auth require)");
  }
  // Before anything is claimed: a node that could not start its gRPC threads
  // as asked must not leave a reservation or a lock behind.
  IDGEN_RETURN_IF_ERROR(CheckRealtimePriority(options.realtime_priority));
  if (options.claim_retry_min <= absl::ZeroDuration() ||
      options.claim_retry_max < options.claim_retry_min) {
    return absl::InvalidArgumentError("claim retry backoff must satisfy 0 < min <= max");
  }
  for (size_t i = 0; i < options.config.namespaces.size(); ++i) {
    const NamespaceConfig& nc = options.config.namespaces[i];
    if (nc.scheme != Scheme::kSegment) continue;
    const std::string& store =
        nc.segment.store.empty() ? options.default_segment_store : nc.segment.store;
    auto it = options.segment_stores.find(store);
    if (it == options.segment_stores.end() || it->second == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("namespaces[", i, "].store: namespace ", nc.name, " uses the ", store,
                       " segment store, which this node does not have",
                       store == "etcd"       ? " (start it with --etcd)"
                       : store == "postgres" ? " (start it with --segment-postgres)"
                                             : ""));
    }
  }
  if (options.node_name.empty()) options.node_name = Hostname();
  acquire.node_name = options.node_name;
  acquire.node_address = options.listen;

  std::unique_ptr<Node> node(new Node(std::move(options), leases, std::move(acquire), clock));
  if (absl::Status s = node->TryClaim(); !s.ok()) {
    // Worth waiting for: an id may be freed, the store may come back.
    // Anything else (a requested id that is taken, a broken store, a bad
    // config) needs the operator.
    const absl::StatusCode code = s.code();
    if (code != absl::StatusCode::kResourceExhausted && code != absl::StatusCode::kUnavailable &&
        code != absl::StatusCode::kDeadlineExceeded) {
      return s;
    }
    node->Log(absl::StrCat("no worker id yet, will keep trying: ", s.message()), true);
  }
  return node;
}

Node::Node(NodeOptions options, coord::LeaseProvider* leases, coord::AcquireOptions acquire,
           Clock* clock)
    : options_(std::move(options)),
      leases_(leases),
      acquire_(std::move(acquire)),
      clock_(clock),
      started_at_ms_(clock->WallUnixMillis()) {
  SetWaiting("claiming a worker id");
}

Node::~Node() {
  Shutdown(absl::ZeroDuration());
  if (grpc_log_sink_ != 0) GrpcLogBridge::Install().ClearSink(grpc_log_sink_);
  if (options_.telemetry != nullptr) options_.telemetry->meter().Unregister(this);
}

void Node::Log(const std::string& message, bool warning) const {
  if (options_.telemetry == nullptr) {
    std::cerr << "idgen: " << message << std::endl;
  } else if (warning) {
    options_.telemetry->logger().Warn(message);
  } else {
    options_.telemetry->logger().Info(message);
  }
}

void Node::ReloadTls() {
  if (tls_watcher_ != nullptr) tls_watcher_->ReloadNow();
}

void Node::SetWaiting(std::string reason) {
  idgen::MutexLock lock(&mu_);
  waiting_reason_ = std::move(reason);
}

absl::Status Node::TryClaim() {
  absl::StatusOr<std::unique_ptr<coord::WorkerLease>> lease = leases_->Acquire(acquire_);
  if (!lease.ok()) {
    if (lease.status().code() == absl::StatusCode::kResourceExhausted) {
      exhausted_.fetch_add(1, std::memory_order_relaxed);
    }
    SetWaiting(absl::StrCat(lease.status().message(), " (retrying)"));
    return lease.status();
  }
  {
    idgen::MutexLock lock(&mu_);
    backend_ = (*lease)->Status().backend;
  }
  absl::StatusOr<std::shared_ptr<WorkerClaim>> claim =
      WorkerClaim::Create(*std::move(lease), options_.config, retired_.get(), clock_);
  if (!claim.ok()) {
    SetWaiting(absl::StrCat(claim.status().message(), " (retrying)"));
    return claim.status();
  }
  (*claim)->Start();
  claims_.fetch_add(1, std::memory_order_relaxed);
  claim_.store(*claim);
  return absl::OkStatus();
}

void Node::LoseClaim(const std::shared_ptr<WorkerClaim>& claim) {
  losses_.fetch_add(1, std::memory_order_relaxed);
  const coord::LeaseStatus ls = claim->lease().Status();
  const std::string reason = absl::StrCat("lost worker id ", claim->worker_id(), " (", ls.detail,
                                          "); claiming a worker id again");
  SetWaiting(reason);
  claim_.store(nullptr);
  Log(reason, true);
  claim->Retire();
  retired_ = claim;
}

absl::StatusOr<std::shared_ptr<WorkerClaim>> Node::Current() const {
  if (draining_.load(std::memory_order_relaxed)) {
    return absl::UnavailableError("node is shutting down; retry on another node");
  }
  std::shared_ptr<WorkerClaim> claim = claim_.load();
  if (claim == nullptr) {
    idgen::MutexLock lock(&mu_);
    return absl::UnavailableError(
        absl::StrCat("node holds no worker id: ", waiting_reason_, "; retry on another node"));
  }
  if (!claim->lease().Held()) {
    return absl::UnavailableError(absl::StrCat("node lost worker id ", claim->worker_id(),
                                               " (lease fenced); retry on another node"));
  }
  return claim;
}

int64_t Node::worker_id() const {
  std::shared_ptr<WorkerClaim> claim = claim_.load();
  return claim ? claim->worker_id() : -1;
}

absl::Status Node::Ready() const {
  IDGEN_ASSIGN_OR_RETURN(std::shared_ptr<WorkerClaim> claim, Current());
  return claim->Ready();
}

void Node::FillInfo(v1::GetInfoResponse* info) const {
  info->set_node(options_.node_name);
  std::shared_ptr<WorkerClaim> claim = claim_.load();
  // In config order: segment namespaces from the node, the others from the
  // claim, or just their config while the node holds no worker id.
  for (const NamespaceConfig& nc : options_.config.namespaces) {
    v1::NamespaceInfo* ni = info->add_namespaces();
    IdNamespace* ns = claim != nullptr ? claim->Find(nc.name) : nullptr;
    if (auto seg = segments_by_name_.find(nc.name); seg != segments_by_name_.end()) {
      seg->second->FillInfo(ni);
    } else if (ns != nullptr) {
      ns->FillInfo(ni);
    } else {
      FillNamespaceConfigInfo(nc, ni);
    }
  }
  v1::LeaseInfo* li = info->mutable_lease();
  if (claim != nullptr) {
    info->set_worker_id(claim->lease().Held() ? claim->worker_id() : -1);
    info->set_reserved_until_ms(claim->reserved_until_ms());
    const coord::LeaseStatus ls = claim->lease().Status();
    li->set_backend(ls.backend);
    li->set_state(ls.state);
    li->set_lease_id(ls.lease_id);
    li->set_ttl_left_ms(ls.ttl_left_ms);
    li->set_detail(ls.detail);
  } else {
    info->set_worker_id(-1);
    idgen::MutexLock lock(&mu_);
    li->set_backend(backend_);
    li->set_state("acquiring");
    li->set_ttl_left_ms(-1);
    li->set_detail(waiting_reason_);
  }
  li->set_claims(claims_.load(std::memory_order_relaxed));
  li->set_losses(losses_.load(std::memory_order_relaxed));
  li->set_exhausted_attempts(exhausted_.load(std::memory_order_relaxed));
  const absl::Status ready = Ready();
  info->set_serving(ready.ok());
  info->set_not_serving_reason(std::string(ready.message()));
  info->set_version(IDGEN_VERSION);
  info->set_started_at_ms(started_at_ms_);
  info->set_worker_id_min(acquire_.min_worker);
  info->set_worker_id_max(acquire_.max_workers - 1);
}

absl::StatusOr<SegmentNamespace*> Node::Segment(const std::string& name) const {
  if (draining_.load(std::memory_order_relaxed)) {
    return absl::UnavailableError("node is shutting down; retry on another node");
  }
  auto it = segments_by_name_.find(name);
  if (it == segments_by_name_.end()) {
    return absl::InternalError(absl::StrCat("segment namespace ", name, " was not built"));
  }
  return it->second;
}

absl::Status Node::StartSegments() {
  if (options_.telemetry != nullptr) {
    segment_metrics_ = std::make_unique<SegmentMetrics>(&options_.telemetry->meter());
  }
  for (const NamespaceConfig& nc : options_.config.namespaces) {
    if (nc.scheme != Scheme::kSegment) continue;
    segment::SegmentStore* store = options_.segment_stores.at(
        nc.segment.store.empty() ? options_.default_segment_store : nc.segment.store);
    if (options_.telemetry != nullptr) {
      std::unique_ptr<segment::SegmentStore>& traced = traced_stores_[store->name()];
      if (traced == nullptr) {
        traced = std::make_unique<TracedSegmentStore>(store, &options_.telemetry->tracer());
      }
      store = traced.get();
    }
    IDGEN_ASSIGN_OR_RETURN(
        std::unique_ptr<SegmentNamespace> ns,
        SegmentNamespace::Create(
            nc, store, clock_,
            segment_metrics_ ? segment_metrics_->LeaseObserver(store->name()) : nullptr));
    segments_by_name_[nc.name] = ns.get();
    segments_.push_back(std::move(ns));
  }
  if (segment_metrics_) segment_metrics_->Observe(&segments_);
  return absl::OkStatus();
}

absl::Status Node::Start() {
  IDGEN_RETURN_IF_ERROR(StartSegments());
  service_ = std::make_unique<IdService>(
      &options_.config, [this] { return Current(); },
      [this](v1::GetInfoResponse* info) { FillInfo(info); });
  service_->SetSegments([this](const std::string& name) { return Segment(name); });
  telemetry::Telemetry* const tel = options_.telemetry;
  // gRPC's own refusals (ping strikes, oversized header lists, idle closes,
  // failed handshakes) are seen only in its log.
  GrpcLogBridge& grpc_log = GrpcLogBridge::Install();
  if (tel != nullptr) {
    grpc_log_sink_ = grpc_log.SetSink([logger = &tel->logger()](telemetry::Severity severity,
                                                                std::string_view file, int line,
                                                                std::string_view message) {
      logger->Log(severity, std::string("grpc: ").append(message),
                  {{"code.filepath", std::string(file)}, {"code.lineno", int64_t{line}}});
    });
    RegisterGrpcRefusalMetrics(&tel->meter(), &grpc_log, this);
    metrics_ = std::make_unique<NodeMetrics>(
        &tel->meter(), &options_.config, [this] { return claim_.load(); }, clock_,
        [this] { return Ready(); },
        [this] {
          return LeaseCounts{claims_.load(std::memory_order_relaxed),
                             losses_.load(std::memory_order_relaxed),
                             exhausted_.load(std::memory_order_relaxed)};
        });
    service_->SetCounters(metrics_->counters());
  }

  health_ = std::make_unique<HealthState>();
  health_->Register("");
  health_->Register(kServiceName);
  reflection_ = std::make_unique<ReflectionResponder>(
      std::vector<std::string>{kServiceName, grpc::health::v1::Health::service_full_name(),
                               grpc::reflection::v1alpha::ServerReflection::service_full_name()});
  CqServerOptions grpc_opts;
  grpc_opts.listen = options_.listen;
  grpc_opts.threads = options_.grpc_threads;
  grpc_opts.socket_mode = options_.socket_mode;
  grpc_opts.realtime_priority = options_.realtime_priority;
  grpc_opts.limits = options_.grpc_limits;
  // A segment call that finds its buffer empty waits for the lease (up to a
  // second when the store is slow): off the queue threads, so that the
  // node's other namespaces and health checks are answered meanwhile.
  grpc_opts.blocking_threads = segments_.empty() ? 0 : kSegmentWaitThreads;
  grpc_opts.allowed_clients = options_.tls_allowed_clients;
  grpc_opts.on_refused = [this](const std::string& message) { Log(message, /*warning=*/true); };
  if (options_.authenticator == nullptr) {
    IDGEN_ASSIGN_OR_RETURN(options_.authenticator, auth::Authenticator::Create({}));
  }
  if (options_.quota == nullptr) {
    options_.quota = std::make_shared<auth::Quota>(auth::QuotaOptions{}, clock_);
  }
  access_ = std::make_unique<CallAccess>(options_.authenticator.get(), options_.quota.get());
  grpc_opts.access = access_.get();
  if (tel != nullptr) {
    auth::RegisterAuthMetrics(&tel->meter(), options_.authenticator.get(), options_.quota.get(),
                              this);
  }
  if (options_.tls.enabled()) {
    // One watcher for both listeners: they serve the same files.
    IDGEN_ASSIGN_OR_RETURN(std::unique_ptr<security::CertificateWatcher> watcher,
                           security::CertificateWatcher::Create(
                               options_.tls, {"grpc", "admin"}, clock_,
                               security::TlsReloadLog(tel != nullptr ? &tel->logger() : nullptr)));
    tls_watcher_ = std::move(watcher);
    IDGEN_ASSIGN_OR_RETURN(grpc_tls_stage_, security::GrpcTlsStage::Create(tls_watcher_.get()));
    grpc_opts.credentials = grpc_tls_stage_->Credentials();
    if (tel != nullptr)
      security::RegisterCertificateMetrics(&tel->meter(), tls_watcher_.get(), this);
    tls_watcher_->StartPolling();
  }
  if (tel != nullptr) grpc_opts.interceptors = tel->ServerInterceptors();
  IDGEN_ASSIGN_OR_RETURN(
      std::unique_ptr<CqServer> grpc_server,
      CqServer::Start(std::move(grpc_opts),
                      CqServices{service_.get(), health_.get(), reflection_.get()}));
  grpc_server_ = std::move(grpc_server);
  grpc_port_ = grpc_server_->port();
  trimmer_ = std::make_unique<MemoryTrimmer>(options_.memory_trim, MemoryTrimmer::ProcessResident(),
                                             MemoryTrimmer::AllocatorTrim());

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
  http_opts.max_connections = options_.admin_max_connections;
  http_opts.header_timeout = options_.admin_header_timeout;
  http_opts.max_header_bytes = options_.admin_max_header_bytes;
  http_opts.max_body_bytes = options_.admin_max_body_bytes;
  http_opts.idle_timeout = options_.admin_idle_timeout;
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
  if (options_.tls.enabled()) {
    // The admin port serves the same certificate, with the same client
    // authentication, as the gRPC port.
    absl::StatusOr<std::shared_ptr<http::TlsContextSource>> tls =
        http::TlsContextSource::Create(tls_watcher_);
    if (!tls.ok()) {
      grpc_server_->Shutdown(std::chrono::system_clock::now());
      return tls.status();
    }
    http_opts.tls = [source = *std::move(tls)] { return source->Current(); };
  }
  absl::StatusOr<std::unique_ptr<http::HttpServer>> admin = http::HttpServer::Start(http_opts);
  if (!admin.ok()) {
    grpc_server_->Shutdown(std::chrono::system_clock::now());
    return absl::Status(admin.status().code(),
                        absl::StrCat("admin HTTP: ", admin.status().message()));
  }
  admin_ = std::move(*admin);
  if (tel != nullptr)
    telemetry::RegisterHttpServerMetrics(&tel->meter(), admin_.get(), "admin", this);

  // Health answers from the first call: a probe that arrives before the
  // supervisor's first pass must not see NOT_SERVING on a ready node.
  const bool serving = Ready().ok();
  health_->Set("", serving);
  health_->Set(kServiceName, serving);
  supervisor_ = std::thread([this, serving] { Supervise(static_cast<int>(serving)); });
  return absl::OkStatus();
}

void Node::Supervise(int last) {
  absl::Duration backoff = options_.claim_retry_min;
  absl::Duration next_attempt = clock_->MonotonicNow();
  do {
    std::shared_ptr<WorkerClaim> claim = claim_.load();
    if (claim != nullptr && !claim->lease().Held()) {
      LoseClaim(claim);
      claim = nullptr;
      backoff = options_.claim_retry_min;
      next_attempt = clock_->MonotonicNow();
    }
    if (claim == nullptr && !draining_.load() && clock_->MonotonicNow() >= next_attempt) {
      if (absl::Status s = TryClaim(); s.ok()) {
        Log(absl::StrCat("claimed worker id ", worker_id()), false);
        backoff = options_.claim_retry_min;
      } else {
        next_attempt = clock_->MonotonicNow() + backoff;
        backoff = std::min(backoff * 2, options_.claim_retry_max);
      }
    }
    const bool serving = Ready().ok();
    if (static_cast<int>(serving) != last) {
      health_->Set("", serving);
      health_->Set(kServiceName, serving);
      last = static_cast<int>(serving);
    }
  } while (!stop_supervisor_.WaitForNotificationWithTimeout(absl::Milliseconds(100)));
}

int Node::admin_port() const { return admin_ ? admin_->port() : 0; }

void Node::Shutdown(absl::Duration drain) {
  if (stopped_.exchange(true)) return;
  draining_.store(true);
  if (health_) {
    // Not ready first, so load balancers stop sending; then drain.
    health_->Set("", false);
    health_->Set(kServiceName, false);
  }
  if (!stop_supervisor_.HasBeenNotified()) stop_supervisor_.Notify();
  if (supervisor_.joinable()) supervisor_.join();
  if (grpc_server_) {
    grpc_server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(drain));
  }
  if (admin_) admin_->Stop();
  // No call is in flight any more: the unused segment IDs can go back.
  for (const auto& ns : segments_) {
    if (absl::Status s = ns->Close(); !s.ok()) {
      Log(absl::StrCat(
              "segment namespace ", ns->name(),
              ": could not give the unused IDs back (a gap, not a duplicate): ", s.ToString()),
          true);
    }
  }
  // Nothing is in flight any more, so the reservation can come down to what
  // was really issued: a node restarted at once then serves at once.
  if (std::shared_ptr<WorkerClaim> claim = claim_.exchange(nullptr)) {
    if (absl::Status s = claim->SettleAndRelease(); !s.ok()) {
      Log(absl::StrCat("final reservation write or release failed: ", s.ToString()), true);
    }
  }
}

}  // namespace idgen::server
