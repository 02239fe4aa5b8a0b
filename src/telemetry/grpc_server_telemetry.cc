// Copyright idgen authors.
#include "src/telemetry/grpc_server_telemetry.h"

#include <memory>
#include <string>

namespace idgen::telemetry {
namespace {

using grpc::experimental::InterceptionHookPoints;

class ServerInterceptor final : public grpc::experimental::Interceptor {
 public:
  ServerInterceptor(GrpcServerTelemetry* owner, const char* method)
      : owner_(owner), method_(method), start_(owner->clock()->MonotonicNow()) {}

  ~ServerInterceptor() override {
    // A call cancelled before it sent a status never reached PRE_SEND_STATUS.
    if (!finished_) Finish(static_cast<int>(grpc::StatusCode::CANCELLED), "call cancelled");
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      StartSpan(methods->GetRecvInitialMetadata());
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      Finish(static_cast<int>(status.error_code()), status.error_message());
    }
    methods->Proceed();
  }

 private:
  void StartSpan(std::multimap<grpc::string_ref, grpc::string_ref>* metadata) {
    Tracer* tracer = owner_->tracer();
    if (tracer == nullptr || span_ != nullptr) return;
    std::optional<SpanContext> parent;
    if (metadata != nullptr) {
      parent =
          ExtractTraceContext([metadata](std::string_view key) -> std::optional<std::string_view> {
            auto it = metadata->find(grpc::string_ref(key.data(), key.size()));
            if (it == metadata->end()) return std::nullopt;
            return std::string_view(it->second.data(), it->second.size());
          });
    }
    const auto [service, method] = SplitGrpcMethod(method_);
    // Health checks (load balancers, the gateway's client-side health
    // checking) are measured but not traced, as /health is not over HTTP:
    // they would bury every real trace.
    if (!owner_->trace_health_checks() && service == "grpc.health.v1.Health") return;
    std::string name;
    name.reserve(service.size() + method.size() + 1);
    name.append(service).append("/").append(method);
    span_ = tracer->StartSpan(std::move(name), SpanKind::kServer, parent.value_or(SpanContext()),
                              {{"rpc.system", std::string("grpc")},
                               {"rpc.service", std::string(service)},
                               {"rpc.method", std::string(method)}});
  }

  void Finish(int code, const std::string& message) {
    finished_ = true;
    const absl::Duration elapsed = owner_->clock()->MonotonicNow() - start_;
    if (HistogramCell* cell = owner_->DurationCell(method_, code); cell != nullptr) {
      cell->Record(absl::ToDoubleMilliseconds(elapsed));
    }
    if (span_ != nullptr) {
      span_->SetAttribute("rpc.grpc.status_code", static_cast<int64_t>(code));
      if (IsGrpcServerError(code)) span_->SetStatus(SpanStatus::kError, message);
      span_->End();
    }
  }

  GrpcServerTelemetry* const owner_;
  const char* const method_;
  const absl::Duration start_;
  std::unique_ptr<Span> span_;
  bool finished_ = false;
};

}  // namespace

std::pair<std::string_view, std::string_view> SplitGrpcMethod(std::string_view full) {
  if (!full.empty() && full[0] == '/') full.remove_prefix(1);
  const size_t slash = full.rfind('/');
  if (slash == std::string_view::npos) return {std::string_view(), full};
  return {full.substr(0, slash), full.substr(slash + 1)};
}

bool IsGrpcServerError(int code) {
  switch (static_cast<grpc::StatusCode>(code)) {
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::UNIMPLEMENTED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DATA_LOSS:
      return true;
    default:
      return false;
  }
}

GrpcServerTelemetry::GrpcServerTelemetry(Tracer* tracer, Histogram* duration, Clock* clock,
                                         bool trace_health_checks)
    : tracer_(tracer),
      duration_(duration),
      clock_(clock),
      trace_health_checks_(trace_health_checks) {}

grpc::experimental::Interceptor* GrpcServerTelemetry::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  const char* method = info->method();
  return new ServerInterceptor(this, method != nullptr ? method : "/unknown/unknown");
}

HistogramCell* GrpcServerTelemetry::DurationCell(const char* method, int code) {
  if (duration_ == nullptr) return nullptr;
  // Keyed by the method string's address: gRPC hands the same registered
  // string to every call of a method, so hits need no allocation.
  const std::pair<const void*, int> key(method, code);
  {
    MutexLock lock(&mu_);
    auto it = cells_.find(key);
    if (it != cells_.end()) return it->second;
  }
  constexpr size_t kMaxCached = 256;
  bool full = false;
  {
    MutexLock lock(&mu_);
    full = cells_.size() >= kMaxCached;
  }
  // Beyond the cap (a client probing unknown method names), one series
  // takes the rest, so the number of series stays bounded.
  const auto [service, name] =
      full ? std::pair<std::string_view, std::string_view>("_OTHER", "_OTHER")
           : SplitGrpcMethod(method);
  HistogramCell* cell = duration_->Bind({{"rpc.system", std::string("grpc")},
                                         {"rpc.service", std::string(service)},
                                         {"rpc.method", std::string(name)},
                                         {"rpc.grpc.status_code", static_cast<int64_t>(code)}});
  if (full) return cell;
  MutexLock lock(&mu_);
  cells_.emplace(key, cell);
  return cell;
}

}  // namespace idgen::telemetry
