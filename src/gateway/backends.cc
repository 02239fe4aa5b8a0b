// Copyright idgen authors.
#include "src/gateway/backends.h"

#include <grpcpp/support/client_interceptor.h>

#include <chrono>
#include <thread>
#include <utility>

#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
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
                                                           telemetry::Telemetry* telemetry) {
  if (absl::Status s = CheckBackendConfig(config); !s.ok()) return s;
  absl::StatusOr<BackendTargets> targets = ResolveBackends(config.backends);
  if (!targets.ok()) return targets.status();
  return std::unique_ptr<Backends>(new Backends(config, *std::move(targets), telemetry));
}

Backends::Backends(BackendConfig config, BackendTargets targets, telemetry::Telemetry* telemetry)
    : config_(std::move(config)), targets_(std::move(targets)), telemetry_(telemetry) {
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(ServiceConfigJson(config_));
  // Reconnect to a restarted backend within a second, not gRPC's default 20 s+.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  if (telemetry_ != nullptr) {
    std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> tracing;
    tracing.push_back(telemetry_->ClientInterceptor());
    balanced_ = grpc::experimental::CreateCustomChannelWithInterceptors(
        targets_.balanced, grpc::InsecureChannelCredentials(), args, std::move(tracing));
  } else {
    balanced_ =
        grpc::CreateCustomChannel(targets_.balanced, grpc::InsecureChannelCredentials(), args);
  }
  balanced_->GetState(/*try_to_connect=*/true);
  stub_ = v1::IdGenerator::NewStub(balanced_);
  for (size_t i = 0; i < targets_.each.size(); ++i) {
    grpc::ChannelArguments node_args;
    node_args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    node_args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    auto node = std::make_unique<Node>();
    node->name = targets_.names[i];
    node->channel =
        grpc::CreateCustomChannel(targets_.each[i], grpc::InsecureChannelCredentials(), node_args);
    node->stub = v1::IdGenerator::NewStub(node->channel);
    node->health = grpc::health::v1::Health::NewStub(node->channel);
    nodes_.push_back(std::move(node));
  }
}

Backends::~Backends() {
  // Every call has a deadline; wait for the callbacks that are still due so
  // that none runs against a destroyed object.
  const absl::Time give_up = absl::Now() + config_.call_timeout + kProbeTimeout + absl::Seconds(2);
  while (pending_.load(std::memory_order_acquire) > 0 && absl::Now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool Backends::Acquire() {
  if (in_flight_.fetch_add(1, std::memory_order_acq_rel) >= config_.max_in_flight) {
    Release();
    return false;
  }
  return true;
}

void Backends::SetDeadline(grpc::ClientContext& ctx) const {
  ctx.set_deadline(DeadlineIn(config_.call_timeout));
  // The gateway's server span is current while its handler starts the call;
  // the callback API may create the client span on another thread, so pass
  // the parent explicitly.
  if (telemetry_ != nullptr && telemetry::CurrentSpanContext().valid()) {
    telemetry::GrpcClientTelemetry::SetParent(&ctx, telemetry::CurrentSpanContext());
  }
}

bool Backends::NextIds(const v1::NextIdsRequest& request, Callback<v1::NextIdsResponse> done) {
  if (!Acquire()) return false;
  auto call = std::make_shared<Call<v1::NextIdsRequest, v1::NextIdsResponse>>();
  call->request = request;
  SetDeadline(call->ctx);
  pending_.fetch_add(1, std::memory_order_acq_rel);
  stub_->async()->NextIds(&call->ctx, &call->request, &call->response,
                          [this, call, done = std::move(done)](const grpc::Status& status) {
                            Release();
                            done(status, call->response);
                            pending_.fetch_sub(1, std::memory_order_acq_rel);
                          });
  return true;
}

bool Backends::Decode(const v1::DecodeRequest& request, Callback<v1::DecodeResponse> done) {
  if (!Acquire()) return false;
  auto call = std::make_shared<Call<v1::DecodeRequest, v1::DecodeResponse>>();
  call->request = request;
  SetDeadline(call->ctx);
  pending_.fetch_add(1, std::memory_order_acq_rel);
  stub_->async()->Decode(&call->ctx, &call->request, &call->response,
                         [this, call, done = std::move(done)](const grpc::Status& status) {
                           Release();
                           done(status, call->response);
                           pending_.fetch_sub(1, std::memory_order_acq_rel);
                         });
  return true;
}

void Backends::InfoAll(std::function<void(std::vector<InfoReport>&)> done) {
  auto gather = std::make_shared<Gather<InfoReport>>(nodes_.size(), std::move(done));
  for (size_t i = 0; i < nodes_.size(); ++i) {
    auto call = std::make_shared<Call<v1::GetInfoRequest, v1::GetInfoResponse>>();
    call->ctx.set_deadline(DeadlineIn(kProbeTimeout));
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
