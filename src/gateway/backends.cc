// Copyright idgen authors.
#include "src/gateway/backends.h"

#include <grpcpp/support/client_interceptor.h>

#include <chrono>
#include <thread>
#include <utility>

#include "absl/random/random.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "src/base/status_macros.h"
#include "src/telemetry/grpc_client_telemetry.h"
#include "src/telemetry/telemetry.h"

namespace idgen::gateway {
namespace {

// Deadline of the per-backend /health and /v1/info calls: a dead node must
// not make /health slow.
constexpr absl::Duration kProbeTimeout = absl::Milliseconds(500);

// One unary call's state, kept alive until its callback has run.
template <typename Request, typename Response>
struct Call {
  grpc::ClientContext ctx;
  Request request;
  Response response;
};

// Collects one result per backend and hands them over when the last is in.
template <typename Report>
struct Gather {
  explicit Gather(size_t n, std::function<void(std::vector<Report>&)> cb)
      : reports(n), remaining(n), done(std::move(cb)) {}
  void Finish() {
    if (remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) done(reports);
  }
  std::vector<Report> reports;  // slot i written only by call i
  std::atomic<size_t> remaining;
  std::function<void(std::vector<Report>&)> done;
};

// gRPC takes deadlines as points of real wall time: the one place the
// gateway reads the system clock. `d` is a span of the injected clock.
std::chrono::system_clock::time_point DeadlineIn(absl::Duration d) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(
             absl::ToChronoNanoseconds(d));
}

}  // namespace

struct Backends::Node {
  std::string name;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::IdGenerator::Stub> stub;
  std::unique_ptr<grpc::health::v1::Health::Stub> health;
};

absl::StatusOr<std::unique_ptr<Backends>> Backends::Create(const BackendConfig& config,
                                                           telemetry::Telemetry* telemetry,
                                                           Clock* clock) {
  IDGEN_RETURN_IF_ERROR(CheckBackendConfig(config));
  IDGEN_ASSIGN_OR_RETURN(BackendTargets targets, ResolveBackends(config.backends));
  return std::unique_ptr<Backends>(new Backends(config, std::move(targets), telemetry, clock));
}

Backends::Backends(BackendConfig config, BackendTargets targets, telemetry::Telemetry* telemetry,
                   Clock* clock)
    : config_(std::move(config)),
      authorization_(config_.api_key.empty() ? std::string() : "Bearer " + config_.api_key),
      targets_(std::move(targets)),
      telemetry_(telemetry),
      clock_(clock) {
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(ServiceConfigJson(config_));
  // Reconnect to a restarted backend within a second, not gRPC's default 20 s+.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  security::ApplyServerName(config_.tls, &args);
  const std::shared_ptr<grpc::ChannelCredentials> creds =
      security::GrpcChannelCredentials(config_.tls);
  if (telemetry_ != nullptr) {
    std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> tracing;
    tracing.push_back(telemetry_->ClientInterceptor());
    balanced_ = grpc::experimental::CreateCustomChannelWithInterceptors(targets_.balanced, creds,
                                                                        args, std::move(tracing));
  } else {
    balanced_ = grpc::CreateCustomChannel(targets_.balanced, creds, args);
  }
  balanced_->GetState(/*try_to_connect=*/true);
  stub_ = v1::IdGenerator::NewStub(balanced_);
  if (telemetry_ != nullptr) {
    telemetry::Meter& meter = telemetry_->meter();
    retries_ = meter.CreateCounter(
        "idgen.gateway.retries",
        "Backend calls tried again after an attempt ended UNAVAILABLE (--retry-attempts)",
        "{retry}");
    throttled_ = meter.CreateCounter(
        "idgen.gateway.retries.throttled",
        "Retries not made because the retry budget was spent (most recent attempts failed)",
        "{retry}");
  }
  for (size_t i = 0; i < targets_.each.size(); ++i) {
    grpc::ChannelArguments node_args;
    node_args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    node_args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    security::ApplyServerName(config_.tls, &node_args);
    auto node = std::make_unique<Node>();
    node->name = targets_.names[i];
    node->channel = grpc::CreateCustomChannel(targets_.each[i], creds, node_args);
    node->stub = v1::IdGenerator::NewStub(node->channel);
    node->health = grpc::health::v1::Health::NewStub(node->channel);
    nodes_.push_back(std::move(node));
  }
}

Backends::~Backends() {
  // Retries waiting for their backoff answer now, with their last error.
  retry_queue_.Stop();
  // Every call has a deadline; wait for the callbacks that are still due so
  // that none runs against a destroyed object.
  const absl::Duration give_up =
      clock_->MonotonicNow() + config_.call_timeout + kProbeTimeout + absl::Seconds(2);
  while (pending_.load(std::memory_order_acquire) > 0 && clock_->MonotonicNow() < give_up) {
    clock_->SleepFor(absl::Milliseconds(5));
  }
}

bool Backends::Acquire() {
  if (in_flight_.fetch_add(1, std::memory_order_acq_rel) >= config_.max_in_flight) {
    Release();
    return false;
  }
  return true;
}

// One NextIds/Decode call across its attempts. Each attempt gets a fresh
// ClientContext (gRPC contexts are single-use) and response.
template <typename Request, typename Response>
struct Backends::RetryingCall {
  Request request;
  Callback<Response> done;
  const char* method = "";
  absl::Duration deadline;        // monotonic
  telemetry::SpanContext parent;  // the caller's span, if any
  int attempts = 0;
  std::unique_ptr<grpc::ClientContext> ctx;
  Response response;
};

bool Backends::ShouldRetry(const grpc::Status& status, int attempts_made, absl::Duration deadline,
                           const char* method, absl::Duration* backoff) {
  if (status.ok()) {
    budget_.OnSuccess();
    return false;
  }
  // UNAVAILABLE: no connection, or the node refused the call. CANCELLED: the
  // gateway never cancels a backend call, so it was the node cutting it as
  // its server shut down. Either way a call that may have been served loses
  // its IDs (a gap), never repeats one.
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
      status.error_code() != grpc::StatusCode::CANCELLED) {
    return false;
  }
  budget_.OnFailure();
  if (attempts_made >= config_.retry_attempts) return false;
  if (!budget_.RetryAllowed()) {
    throttled_made_.fetch_add(1, std::memory_order_relaxed);
    if (throttled_ != nullptr) throttled_->Add(1, {{"rpc.method", method}});
    return false;
  }
  thread_local absl::BitGen bitgen;
  *backoff = RetryBudget::Backoff(attempts_made, config_.retry_backoff,
                                  absl::Uniform<double>(bitgen, 0.0, 1.0));
  // Leave the next attempt at least a millisecond of its deadline.
  if (clock_->MonotonicNow() + *backoff + absl::Milliseconds(1) >= deadline) return false;
  retries_made_.fetch_add(1, std::memory_order_relaxed);
  if (retries_ != nullptr) retries_->Add(1, {{"rpc.method", method}});
  return true;
}

template <typename Request, typename Response, typename Start>
void Backends::Attempt(std::shared_ptr<RetryingCall<Request, Response>> call, Start start) {
  call->ctx = std::make_unique<grpc::ClientContext>();
  call->ctx->set_deadline(DeadlineIn(call->deadline - clock_->MonotonicNow()));
  if (!authorization_.empty()) call->ctx->AddMetadata("authorization", authorization_);
  // The callback API may create the client span on another thread (and a
  // retry starts on the retry queue's), so pass the parent explicitly.
  if (telemetry_ != nullptr && call->parent.valid()) {
    telemetry::GrpcClientTelemetry::SetParent(call->ctx.get(), call->parent);
  }
  call->response.Clear();
  ++call->attempts;
  start(call->ctx.get(), &call->request, &call->response,
        [this, call, start](const grpc::Status& status) {
          absl::Duration backoff;
          if (ShouldRetry(status, call->attempts, call->deadline, call->method, &backoff)) {
            retry_queue_.Schedule(backoff, [this, call, start, status](bool on_time) {
              if (on_time) return Attempt(call, start);
              Finish(call, status);  // shutting down: answer with the last error
            });
            return;
          }
          Finish(call, status);
        });
}

template <typename Request, typename Response>
void Backends::Finish(const std::shared_ptr<RetryingCall<Request, Response>>& call,
                      const grpc::Status& status) {
  Release();
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    call->done(
        grpc::Status(status.error_code(), WithTransportHint(status.error_message(), config_.tls)),
        call->response);
  } else {
    call->done(status, call->response);
  }
  pending_.fetch_sub(1, std::memory_order_acq_rel);
}

template <typename Request, typename Response>
std::shared_ptr<Backends::RetryingCall<Request, Response>> Backends::NewCall(
    const Request& request, Callback<Response> done, const char* method,
    const telemetry::SpanContext& parent) {
  auto call = std::make_shared<RetryingCall<Request, Response>>();
  call->request = request;
  call->done = std::move(done);
  call->method = method;
  call->deadline = clock_->MonotonicNow() + config_.call_timeout;
  if (telemetry_ != nullptr) {
    call->parent = parent.valid() ? parent : telemetry::CurrentSpanContext();
  }
  pending_.fetch_add(1, std::memory_order_acq_rel);
  return call;
}

bool Backends::NextIds(const v1::NextIdsRequest& request, Callback<v1::NextIdsResponse> done) {
  return NextIds(request, telemetry::SpanContext{}, std::move(done));
}

bool Backends::NextIds(const v1::NextIdsRequest& request, const telemetry::SpanContext& parent,
                       Callback<v1::NextIdsResponse> done) {
  if (!Acquire()) return false;
  auto call = NewCall(request, std::move(done), "NextIds", parent);
  Attempt(std::move(call),
          [stub = stub_.get()](grpc::ClientContext* ctx, const v1::NextIdsRequest* req,
                               v1::NextIdsResponse* resp, auto on_done) {
            stub->async()->NextIds(ctx, req, resp, std::move(on_done));
          });
  return true;
}

bool Backends::Decode(const v1::DecodeRequest& request, Callback<v1::DecodeResponse> done) {
  if (!Acquire()) return false;
  auto call = NewCall(request, std::move(done), "Decode", telemetry::SpanContext{});
  Attempt(std::move(call),
          [stub = stub_.get()](grpc::ClientContext* ctx, const v1::DecodeRequest* req,
                               v1::DecodeResponse* resp, auto on_done) {
            stub->async()->Decode(ctx, req, resp, std::move(on_done));
          });
  return true;
}

void Backends::InfoAll(std::function<void(std::vector<InfoReport>&)> done) {
  auto gather = std::make_shared<Gather<InfoReport>>(nodes_.size(), std::move(done));
  for (size_t i = 0; i < nodes_.size(); ++i) {
    auto call = std::make_shared<Call<v1::GetInfoRequest, v1::GetInfoResponse>>();
    call->ctx.set_deadline(DeadlineIn(kProbeTimeout));
    if (!authorization_.empty()) call->ctx.AddMetadata("authorization", authorization_);
    pending_.fetch_add(1, std::memory_order_acq_rel);
    nodes_[i]->stub->async()->GetInfo(
        &call->ctx, &call->request, &call->response,
        [this, call, gather, i, name = nodes_[i]->name](const grpc::Status& status) {
          InfoReport& r = gather->reports[i];
          r.backend = name;
          r.status = status;
          r.info.Swap(&call->response);
          gather->Finish();
          pending_.fetch_sub(1, std::memory_order_acq_rel);
        });
  }
}

void Backends::HealthAll(std::function<void(std::vector<HealthReport>&)> done) {
  using grpc::health::v1::HealthCheckRequest;
  using grpc::health::v1::HealthCheckResponse;
  auto gather = std::make_shared<Gather<HealthReport>>(nodes_.size(), std::move(done));
  for (size_t i = 0; i < nodes_.size(); ++i) {
    auto call = std::make_shared<Call<HealthCheckRequest, HealthCheckResponse>>();
    call->request.set_service("idgen.v1.IdGenerator");
    call->ctx.set_deadline(DeadlineIn(kProbeTimeout));
    pending_.fetch_add(1, std::memory_order_acq_rel);
    nodes_[i]->health->async()->Check(
        &call->ctx, &call->request, &call->response,
        [this, call, gather, i, name = nodes_[i]->name](const grpc::Status& status) {
          HealthReport& r = gather->reports[i];
          r.backend = name;
          if (!status.ok()) {
            r.status = "UNREACHABLE";
            r.detail = status.error_message();
          } else {
            r.status = HealthCheckResponse::ServingStatus_Name(call->response.status());
          }
          gather->Finish();
          pending_.fetch_sub(1, std::memory_order_acq_rel);
        });
  }
}

}  // namespace idgen::gateway
