// Copyright idgen authors.
#include "src/telemetry/grpc_client_telemetry.h"

#include <memory>
#include <string>

#include "src/telemetry/grpc_server_telemetry.h"

namespace idgen::telemetry {
namespace {

using grpc::experimental::InterceptionHookPoints;

class ClientInterceptor final : public grpc::experimental::Interceptor {
 public:
  ClientInterceptor(Tracer* tracer, const char* method) : tracer_(tracer), method_(method) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      Start(methods->GetSendInitialMetadata());
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_STATUS)) {
      if (span_ != nullptr) {
        const grpc::Status* status = methods->GetRecvStatus();
        const int code = status != nullptr ? static_cast<int>(status->error_code()) : 2;
        span_->SetAttribute("rpc.grpc.status_code", static_cast<int64_t>(code));
        if (code != 0) {
          span_->SetStatus(SpanStatus::kError, status != nullptr ? status->error_message() : "");
        }
        span_->End();
      }
    }
    methods->Proceed();
  }

 private:
  void Start(std::multimap<std::string, std::string>* metadata) {
    if (metadata == nullptr || span_ != nullptr) return;
    std::optional<SpanContext> parent =
        ExtractTraceContext([metadata](std::string_view key) -> std::optional<std::string_view> {
          auto it = metadata->find(std::string(key));
          if (it == metadata->end()) return std::nullopt;
          return std::string_view(it->second);
        });
    if (!parent) {
      const SpanContext& current = CurrentSpanContext();
      if (current.valid()) parent = current;
    }
    metadata->erase(kTraceparentHeader);
    metadata->erase(kTracestateHeader);
    const auto [service, method] = SplitGrpcMethod(method_);
    std::string name;
    name.append(service).append("/").append(method);
    span_ = tracer_->StartSpan(std::move(name), SpanKind::kClient, parent.value_or(SpanContext()),
                               {{"rpc.system", std::string("grpc")},
                                {"rpc.service", std::string(service)},
                                {"rpc.method", std::string(method)}});
    InjectTraceContext(span_->context(), [metadata](std::string_view key, std::string_view value) {
      metadata->emplace(std::string(key), std::string(value));
    });
  }

  Tracer* const tracer_;
  const char* const method_;
  std::unique_ptr<Span> span_;
};

}  // namespace

grpc::experimental::Interceptor* GrpcClientTelemetry::CreateClientInterceptor(
    grpc::experimental::ClientRpcInfo* info) {
  const char* method = info->method();
  return new ClientInterceptor(tracer_, method != nullptr ? method : "/unknown/unknown");
}

void GrpcClientTelemetry::SetParent(grpc::ClientContext* ctx, const SpanContext& parent) {
  InjectTraceContext(parent, [ctx](std::string_view key, std::string_view value) {
    ctx->AddMetadata(std::string(key), std::string(value));
  });
}

}  // namespace idgen::telemetry
