// Copyright idgen authors.
//
// GrpcServerTelemetry: a gRPC server interceptor factory that gives every
// call a SERVER span and an `rpc.server.duration` measurement, named per
// the OpenTelemetry semantic conventions v1.24.0 (RPC spans and metrics):
//   span name   "<rpc.service>/<rpc.method>", e.g. "idgen.v1.IdGenerator/NextIds"
//   attributes  rpc.system="grpc", rpc.service, rpc.method,
//               rpc.grpc.status_code (int)
//   status      ERROR for UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED,
//               INTERNAL, UNAVAILABLE, DATA_LOSS; unset otherwise
// The parent comes from the call's `traceparent`/`tracestate` metadata.
// Register with
//   builder.experimental().SetInterceptorCreators(telemetry.ServerInterceptors());
//
// Cost per call: one interceptor object, one span when sampled, one
// histogram record on a cached cell (no allocation after the first call of a
// method/status pair).
//
// Thread-safety: gRPC creates an interceptor per call, concurrently.
#ifndef IDGEN_TELEMETRY_GRPC_SERVER_TELEMETRY_H_
#define IDGEN_TELEMETRY_GRPC_SERVER_TELEMETRY_H_

#include <map>
#include <string_view>
#include <utility>

#include <grpcpp/support/server_interceptor.h>

#include "absl/base/thread_annotations.h"
#include "idgen/clock.h"
#include "idgen/internal/mutex.h"
#include "src/telemetry/instruments.h"
#include "src/telemetry/span.h"

namespace idgen::telemetry {

// Splits "/pkg.Service/Method" into {"pkg.Service", "Method"}.
std::pair<std::string_view, std::string_view> SplitGrpcMethod(std::string_view full);

// True for the codes the semantic conventions count as server errors.
bool IsGrpcServerError(int code);

class GrpcServerTelemetry final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // `tracer` may be null (metrics only); `duration` (unit ms) may be null.
  // All outlive the factory and the server. Calls to grpc.health.v1.Health
  // are measured but get no span unless `trace_health_checks` (they come
  // from load balancers every few hundred ms and would bury real traces).
  GrpcServerTelemetry(Tracer* tracer, Histogram* duration, Clock* clock,
                      bool trace_health_checks = false);

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

  Tracer* tracer() const { return tracer_; }
  Clock* clock() const { return clock_; }
  bool trace_health_checks() const { return trace_health_checks_; }
  // The duration cell for a method and status code.
  HistogramCell* DurationCell(const char* method, int code);

 private:
  Tracer* const tracer_;
  Histogram* const duration_;
  Clock* const clock_;
  const bool trace_health_checks_;
  Mutex mu_;
  std::map<std::pair<const void*, int>, HistogramCell*> cells_ ABSL_GUARDED_BY(mu_);
};

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_GRPC_SERVER_TELEMETRY_H_
