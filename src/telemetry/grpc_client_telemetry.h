// Copyright idgen authors.
//
// GrpcClientTelemetry: a gRPC client interceptor factory that gives every
// outgoing call a CLIENT span (semantic conventions v1.24.0: name
// "<rpc.service>/<rpc.method>", rpc.system/rpc.service/rpc.method,
// rpc.grpc.status_code) and injects its context as `traceparent` /
// `tracestate` metadata, so the server's span becomes its child.
//
// The parent of the client span is, in order: a `traceparent` the caller
// put on the ClientContext (SetParent below; it is replaced by the client
// span's own), else the thread's CurrentSpanContext(), else none (a new
// trace). The first form works across threads and async callbacks, which
// is what a gateway needs:
//
//   // once, when the channel is made:
//   std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> v;
//   v.push_back(telemetry->ClientInterceptor());
//   auto channel = grpc::experimental::CreateCustomChannelWithInterceptors(
//       target, grpc::InsecureChannelCredentials(), grpc::ChannelArguments(), std::move(v));
//   // per call, inside the gateway's server span:
//   grpc::ClientContext ctx;
//   telemetry::GrpcClientTelemetry::SetParent(&ctx, server_span->context());
//
// Thread-safety: gRPC creates an interceptor per call, concurrently.
#ifndef IDGEN_TELEMETRY_GRPC_CLIENT_TELEMETRY_H_
#define IDGEN_TELEMETRY_GRPC_CLIENT_TELEMETRY_H_

#include <grpcpp/client_context.h>
#include <grpcpp/support/client_interceptor.h>

#include "src/telemetry/span.h"

namespace idgen::telemetry {

class GrpcClientTelemetry final : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  // `tracer` outlives the factory and every channel that uses it.
  explicit GrpcClientTelemetry(Tracer* tracer) : tracer_(tracer) {}

  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override;

  // Marks `parent` as the parent of the call made with `ctx` (adds its
  // traceparent/tracestate metadata). Without the interceptor the server
  // then sees `parent` itself as its parent.
  static void SetParent(grpc::ClientContext* ctx, const SpanContext& parent);

 private:
  Tracer* const tracer_;
};

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_GRPC_CLIENT_TELEMETRY_H_
