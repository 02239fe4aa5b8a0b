// Copyright idgen authors.
#include "src/server/cq_server.h"

#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "idgen/v1/idgen.grpc.pb.h"
#include "src/base/status_macros.h"
#include "src/config/host_port.h"
#include "src/security/peer_identity.h"
#include "src/server/call_access.h"
#include "src/server/cq_calls.h"
#include "src/server/health_state.h"
#include "src/server/health_watch_call.h"
#include "src/server/id_service.h"
#include "src/server/reflection_responder.h"
#include "src/server/unix_socket.h"

namespace idgen::server {
namespace {

namespace health = grpc::health::v1;
namespace reflection = grpc::reflection::v1alpha;

// Calls of each method kept requested on each queue: a burst of new calls is
// matched at once instead of one per trip through the queue.
constexpr int kListeners = 4;

// How long Shutdown waits for call objects after the server stopped.
constexpr absl::Duration kCallObjectsGrace = absl::Seconds(10);

// Queues must be shut down and drained even when nothing was served on them.
void ShutDownAndDrain(std::vector<std::unique_ptr<grpc::ServerCompletionQueue>>& cqs) {
  for (auto& cq : cqs) {
    cq->Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (cq->Next(&tag, &ok)) {
    }
  }
}

[[nodiscard]] absl::Status CheckRealtimeRange(int priority) {
  if (priority >= 0 && priority <= kMaxRealtimePriority) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("realtime priority ", priority, " is outside 0..", kMaxRealtimePriority));
}

// SCHED_FIFO at `priority` for `t`, asked by the calling thread (whose
// privileges decide). PERMISSION_DENIED says what would allow it.
[[nodiscard]] absl::Status SetRealtimePriority(std::thread& t, int priority) {
  sched_param param{};
  param.sched_priority = priority;
  const int rc = pthread_setschedparam(t.native_handle(), SCHED_FIFO, &param);
  if (rc == 0) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "cannot run the gRPC threads under SCHED_FIFO priority ", priority, ": ", std::strerror(rc),
      rc == EPERM ? " (needs root, CAP_SYS_NICE, or an RLIMIT_RTPRIO of at least "
                    "the priority: `ulimit -r`)"
                  : ""));
}

}  // namespace

struct CqServer::Impl {
  CqServices services;
  v1::IdGenerator::AsyncService ids_service;
  health::Health::AsyncService health_service;
  reflection::ServerReflection::AsyncService reflection_service;

  UnaryMethod<v1::NextIdsRequest, v1::NextIdsResponse> next_ids;
  UnaryMethod<v1::NextIdRequest, v1::NextIdResponse> next_id;
  UnaryMethod<v1::DecodeRequest, v1::DecodeResponse> decode;
  UnaryMethod<v1::GetInfoRequest, v1::GetInfoResponse> get_info;
  ChatMethod<v1::NextIdsRequest, v1::NextIdsResponse> stream_ids;
  UnaryMethod<health::HealthCheckRequest, health::HealthCheckResponse> health_check;
  ChatMethod<reflection::ServerReflectionRequest, reflection::ServerReflectionResponse>
      reflection_info;

  CallTracker tracker;
  std::unique_ptr<BlockingPool> blocking;  // null: no call is moved off the queue threads
  const CallAccess* access = nullptr;
  std::vector<std::string> allowed_clients;
  std::function<void(const std::string&)> on_refused;
  std::unique_ptr<grpc::Server> server;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> cqs;
  std::vector<std::thread> threads;
  bool shut_down = false;

  void DefineMethods();
  void Listen(grpc::ServerCompletionQueue* cq);
};

void CqServer::Impl::DefineMethods() {
  for (CallTracker** t : {&next_ids.tracker, &next_id.tracker, &decode.tracker, &get_info.tracker,
                          &stream_ids.tracker, &health_check.tracker, &reflection_info.tracker}) {
    *t = &tracker;
  }
  if (!allowed_clients.empty()) {
    auto authorize = [this](const grpc::ServerContext& ctx) {
      const std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context();
      const std::vector<std::string> presented =
          auth != nullptr ? security::PeerIdentities(*auth) : std::vector<std::string>{};
      if (security::IdentityAllowed(presented, allowed_clients)) return grpc::Status::OK;
      const std::string message =
          absl::StrCat("client certificate (CN/SAN: ",
                       presented.empty() ? std::string("none") : absl::StrJoin(presented, ", "),
                       ") is not among this node's --tls-allowed-clients");
      if (on_refused)
        on_refused(absl::StrCat("PERMISSION_DENIED from ", ctx.peer(), ": ", message));
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, message);
    };
    next_ids.authorize = authorize;
    next_id.authorize = authorize;
    decode.authorize = authorize;
    get_info.authorize = authorize;
    stream_ids.authorize = authorize;
    reflection_info.authorize = authorize;
  }
  const IdService* ids = services.ids;
  const CallAccess* const gate = access;
  v1::IdGenerator::AsyncService* svc = &ids_service;
  next_ids.request = [svc](auto* ctx, auto* req, auto* w, auto* cq, void* tag) {
    svc->RequestNextIds(ctx, req, w, cq, cq, tag);
  };
  next_ids.handle = [ids, gate](grpc::ServerContext& ctx, const v1::NextIdsRequest& req,
                                v1::NextIdsResponse* resp) {
    if (gate == nullptr) return ToGrpc(ids->Issue(req, resp));
    CallerContext who;
    grpc::Status s = gate->Identify(ctx, auth::kScopeGenerate, &who);
    if (s.ok()) s = gate->Admit(who, req.namespace_(), req.count(), &ctx);
    if (!s.ok()) return s;
    s = ToGrpc(ids->Issue(req, resp));
    gate->Settle(who, req.count(), s.ok());
    return s;
  };
  next_id.request = [svc](auto* ctx, auto* req, auto* w, auto* cq, void* tag) {
    svc->RequestNextId(ctx, req, w, cq, cq, tag);
  };
  next_id.handle = [ids, gate](grpc::ServerContext& ctx, const v1::NextIdRequest& req,
                               v1::NextIdResponse* resp) {
    if (gate == nullptr) return ToGrpc(ids->IssueOne(req, resp));
    CallerContext who;
    grpc::Status s = gate->Identify(ctx, auth::kScopeGenerate, &who);
    if (s.ok()) s = gate->Admit(who, req.namespace_(), 1, &ctx);
    if (!s.ok()) return s;
    s = ToGrpc(ids->IssueOne(req, resp));
    gate->Settle(who, 1, s.ok());
    return s;
  };
  decode.request = [svc](auto* ctx, auto* req, auto* w, auto* cq, void* tag) {
    svc->RequestDecode(ctx, req, w, cq, cq, tag);
  };
  decode.handle = [ids, gate](grpc::ServerContext& ctx, const v1::DecodeRequest& req,
                              v1::DecodeResponse* resp) {
    if (gate != nullptr) {
      CallerContext who;
      grpc::Status s = gate->Identify(ctx, auth::kScopeDecode, &who);
      if (s.ok()) s = gate->CheckNamespace(who, req.namespace_());
      if (!s.ok()) return s;
    }
    return ToGrpc(ids->Decode(req, resp));
  };
  get_info.request = [svc](auto* ctx, auto* req, auto* w, auto* cq, void* tag) {
    svc->RequestGetInfo(ctx, req, w, cq, cq, tag);
  };
  get_info.handle = [ids, gate](grpc::ServerContext& ctx, const v1::GetInfoRequest&,
                                v1::GetInfoResponse* resp) {
    if (gate != nullptr) {
      CallerContext who;
      if (grpc::Status s = gate->Identify(ctx, auth::kScopeInfo, &who); !s.ok()) return s;
    }
    ids->GetInfo(resp);
    return grpc::Status::OK;
  };
  if (blocking != nullptr) {
    next_ids.blocking = next_id.blocking = stream_ids.blocking = blocking.get();
    next_ids.may_wait = [ids](const v1::NextIdsRequest& req) {
      return ids->MayWait(req.namespace_(), req.count());
    };
    next_id.may_wait = [ids](const v1::NextIdRequest& req) {
      return ids->MayWait(req.namespace_(), 1);
    };
    stream_ids.may_wait = next_ids.may_wait;
  }
  stream_ids.request = [svc](auto* ctx, auto* stream, auto* cq, void* tag) {
    svc->RequestStreamIds(ctx, stream, cq, cq, tag);
  };
  if (gate != nullptr) {
    stream_ids.open = [gate](const grpc::ServerContext& ctx, CallerContext* who) {
      return gate->Identify(ctx, auth::kScopeGenerate, who);
    };
  }
  // Quota and namespace per message, answered in-band like every other
  // failure of a stream message (a refusal carries the wait in its message).
  stream_ids.answer = [ids, gate](const CallerContext& who, const v1::NextIdsRequest& req,
                                  v1::NextIdsResponse* resp) {
    if (gate != nullptr) {
      if (const grpc::Status s = gate->Admit(who, req.namespace_(), req.count(), nullptr);
          !s.ok()) {
        resp->set_namespace_(req.namespace_());
        resp->set_error_code(static_cast<int32_t>(s.error_code()));
        resp->set_error_message(s.error_message());
        return;
      }
    }
    ids->Answer(req, resp);
    if (gate != nullptr) gate->Settle(who, req.count(), resp->error_code() == 0);
  };

  if (HealthState* state = services.health; state != nullptr) {
    health::Health::AsyncService* hs = &health_service;
    health_check.request = [hs](auto* ctx, auto* req, auto* w, auto* cq, void* tag) {
      hs->RequestCheck(ctx, req, w, cq, cq, tag);
    };
    health_check.handle = [state](grpc::ServerContext&, const health::HealthCheckRequest& req,
                                  health::HealthCheckResponse* resp) {
      const ServingStatus status = state->Get(req.service());
      if (status == health::HealthCheckResponse::SERVICE_UNKNOWN) {
        return grpc::Status(grpc::StatusCode::NOT_FOUND,
                            absl::StrCat("unknown service \"", req.service().substr(0, 64),
                                         "\"; ask for \"\" (the whole server) or a service "
                                         "this server serves"));
      }
      resp->set_status(status);
      return grpc::Status::OK;
    };
  }
  if (const ReflectionResponder* responder = services.reflection; responder != nullptr) {
    reflection::ServerReflection::AsyncService* rs = &reflection_service;
    reflection_info.request = [rs](auto* ctx, auto* stream, auto* cq, void* tag) {
      rs->RequestServerReflectionInfo(ctx, stream, cq, cq, tag);
    };
    reflection_info.answer =
        [responder](const CallerContext&, const reflection::ServerReflectionRequest& req,
                    reflection::ServerReflectionResponse* resp) { responder->Answer(req, resp); };
  }
}

void CqServer::Impl::Listen(grpc::ServerCompletionQueue* cq) {
  for (int i = 0; i < kListeners; ++i) {
    UnaryCall<v1::NextIdsRequest, v1::NextIdsResponse>::Listen(&next_ids, cq);
    UnaryCall<v1::NextIdRequest, v1::NextIdResponse>::Listen(&next_id, cq);
    ChatCall<v1::NextIdsRequest, v1::NextIdsResponse>::Listen(&stream_ids, cq);
  }
  UnaryCall<v1::DecodeRequest, v1::DecodeResponse>::Listen(&decode, cq);
  UnaryCall<v1::GetInfoRequest, v1::GetInfoResponse>::Listen(&get_info, cq);
  if (services.health != nullptr) {
    UnaryCall<health::HealthCheckRequest, health::HealthCheckResponse>::Listen(&health_check, cq);
    HealthWatchCall::Listen(&health_service, services.health, cq, &tracker);
  }
  if (services.reflection != nullptr) {
    ChatCall<reflection::ServerReflectionRequest, reflection::ServerReflectionResponse>::Listen(
        &reflection_info, cq);
  }
}

absl::StatusOr<std::unique_ptr<CqServer>> CqServer::Start(CqServerOptions options,
                                                          CqServices services) {
  if (services.ids == nullptr) return absl::InvalidArgumentError("CqServer needs an IdService");
  if (options.threads < 1) return absl::InvalidArgumentError("CqServer needs at least 1 thread");
  if (options.blocking_threads < 0 || options.blocking_threads > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("CqServer blocking_threads must be in 0..64, got ", options.blocking_threads));
  }
  IDGEN_RETURN_IF_ERROR(CheckRealtimeRange(options.realtime_priority));
  IDGEN_RETURN_IF_ERROR(CheckGrpcLimits(options.limits));
  auto impl = std::make_unique<Impl>();
  impl->services = services;
  impl->allowed_clients = options.allowed_clients;
  impl->access = options.access;
  impl->on_refused = options.on_refused;
  if (options.blocking_threads > 0) {
    impl->blocking = std::make_unique<BlockingPool>(options.blocking_threads, "idgen-wait");
  }
  impl->DefineMethods();
  const std::optional<std::string> socket_path = config::UnixSocketPath(options.listen);
  if (socket_path.has_value()) {
    IDGEN_RETURN_IF_ERROR(PrepareUnixSocket(*socket_path));
  }

  grpc::ServerBuilder builder;
  ApplyGrpcLimits(options.limits, &builder);
  if (!options.interceptors.empty()) {
    builder.experimental().SetInterceptorCreators(std::move(options.interceptors));
  }
  int port = 0;
  builder.AddListeningPort(
      options.listen,
      options.credentials != nullptr ? options.credentials : grpc::InsecureServerCredentials(),
      &port);
  builder.RegisterService(&impl->ids_service);
  if (services.health != nullptr) builder.RegisterService(&impl->health_service);
  if (services.reflection != nullptr) builder.RegisterService(&impl->reflection_service);
  for (int i = 0; i < options.threads; ++i) impl->cqs.push_back(builder.AddCompletionQueue());
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || port == 0) {
    ShutDownAndDrain(impl->cqs);
    return absl::UnavailableError(absl::StrCat("cannot listen for gRPC on ", options.listen,
                                               " (address in use or invalid?)"));
  }
  if (socket_path.has_value() && options.socket_mode.has_value() &&
      chmod(socket_path->c_str(), static_cast<mode_t>(*options.socket_mode)) != 0) {
    const int err = errno;
    impl->server->Shutdown(std::chrono::system_clock::now());
    ShutDownAndDrain(impl->cqs);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot set the mode of unix:", *socket_path, ": ", std::strerror(err)));
  }
  for (auto& cq : impl->cqs) {
    impl->Listen(cq.get());
    std::thread& t = impl->threads.emplace_back([q = cq.get()] {
      void* tag = nullptr;
      bool ok = false;
      while (q->Next(&tag, &ok)) static_cast<CqTag*>(tag)->Complete(ok);
    });
    // Named for top -H, perf and chrt ("idgen-cq-0", ...), by this thread so
    // that the name is there when Start returns.
    pthread_setname_np(t.native_handle(),
                       absl::StrCat("idgen-cq-", impl->threads.size() - 1).c_str());
  }
  std::unique_ptr<CqServer> server(new CqServer(std::move(impl), port));
  if (options.realtime_priority > 0) {
    // Set from here rather than by each thread, so that a refusal is known
    // before Start returns; on one, the server is shut down by its destructor.
    IDGEN_RETURN_IF_ERROR(server->UseRealtimePriority(options.realtime_priority));
  }
  return server;
}

absl::Status CqServer::UseRealtimePriority(int priority) {
  for (std::thread& t : impl_->threads) {
    IDGEN_RETURN_IF_ERROR(SetRealtimePriority(t, priority));
  }
  return absl::OkStatus();
}

absl::Status CheckRealtimePriority(int priority) {
  IDGEN_RETURN_IF_ERROR(CheckRealtimeRange(priority));
  if (priority == 0) return absl::OkStatus();
  // A thread of no consequence, asked for the policy the way Start asks.
  absl::Notification done;
  std::thread probe([&done] { done.WaitForNotification(); });
  absl::Status s = SetRealtimePriority(probe, priority);
  done.Notify();
  probe.join();
  return s;
}

CqServer::CqServer(std::unique_ptr<Impl> impl, int port) : impl_(std::move(impl)), port_(port) {}

CqServer::~CqServer() { Shutdown(std::chrono::system_clock::now()); }

void CqServer::Shutdown(std::chrono::system_clock::time_point deadline) {
  if (impl_->shut_down) return;
  impl_->shut_down = true;
  // Watch calls end after NOT_SERVING instead of holding the drain open.
  if (impl_->services.health != nullptr) impl_->services.health->Shutdown();
  // Returns once every call is over on the wire (cancelled at the deadline);
  // the queue threads keep running, as the call objects need them to end.
  impl_->server->Shutdown(deadline);
  // A call object may still start its last operation (Finish after a failed
  // read): the queues must outlive every one. Bounded, in case one leaks.
  if (!impl_->tracker.WaitForNone(kCallObjectsGrace, SystemClock::Get())) {
    std::cerr << "idgen: gRPC call objects still alive " << absl::FormatDuration(kCallObjectsGrace)
              << " after shutdown; stopping anyway\n";
  }
  for (auto& cq : impl_->cqs) cq->Shutdown();
  for (auto& t : impl_->threads) t.join();
}

}  // namespace idgen::server
