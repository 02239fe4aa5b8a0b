// Copyright idgen authors.
//
// Backends: the gateway's gRPC client side. One load-balanced channel (see
// BackendConfig: round_robin, health checking, retries) carries the ID
// traffic; one channel per backend answers /v1/info and /health, which must
// ask every node rather than any.
//
// Every call is asynchronous (gRPC's callback API): the callback runs on a
// gRPC thread (or the retry queue's), never on the caller's, and every call
// has a deadline (call_timeout, retries included), so no call can hang.
// NextIds and Decode are bounded by max_in_flight: beyond it they return
// false at once and the caller answers 429.
//
// Retries are the gateway's own, not gRPC's retry policy, so that each one
// is seen: an attempt that ends UNAVAILABLE is tried again (the balanced
// channel picks the next backend) after RetryBudget's backoff, up to
// retry_attempts, within the deadline and while the retry budget allows.
// Every attempt is its own CLIENT span (OpenTelemetry: each resend is a
// span); retries and throttled retries are counted
// (idgen.gateway.retries{rpc.method}, idgen.gateway.retries.throttled).
//
// Thread-safety: all methods may be called concurrently.
// Lifetime: destroying Backends waits (up to call_timeout plus a margin) for
// callbacks still due; callers must not start calls during destruction.
#ifndef IDGEN_GATEWAY_BACKENDS_H_
#define IDGEN_GATEWAY_BACKENDS_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "idgen/clock.h"
#include "idgen/v1/idgen.grpc.pb.h"
#include "src/gateway/backend_config.h"
#include "src/gateway/delay_queue.h"
#include "src/gateway/retry_budget.h"
#include "src/telemetry/span_context.h"

namespace idgen::telemetry {
class Telemetry;
class Counter;
}  // namespace idgen::telemetry

namespace idgen::gateway {

class Backends {
 public:
  // What one backend said to GetInfo, or why it did not.
  struct InfoReport {
    std::string backend;  // as the user wrote it
    grpc::Status status;
    v1::GetInfoResponse info;
  };
  // One backend's grpc.health.v1 answer: "SERVING", "NOT_SERVING", or
  // "UNREACHABLE" with the gRPC error in `detail`.
  struct HealthReport {
    std::string backend;
    std::string status;
    std::string detail;
  };

  template <typename Response>
  using Callback = std::function<void(const grpc::Status&, Response&)>;

  // INVALID_ARGUMENT for bad backends or settings (see backend_config.h).
  // `telemetry` (optional, must outlive the Backends) gives every ID call a
  // CLIENT span, child of the span current on the calling thread. Call
  // deadlines, retry backoffs and the wait at destruction run on `clock`'s
  // monotonic time (it must outlive the Backends); gRPC itself keeps real
  // time, so a FakeClock suits only tests that make no RPC.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Backends>> Create(
      const BackendConfig& config, telemetry::Telemetry* telemetry = nullptr,
      Clock* clock = SystemClock::Get());
  ~Backends();
  Backends(const Backends&) = delete;
  Backends& operator=(const Backends&) = delete;

  // Starts a NextIds / Decode call; false (and `done` is never called) if
  // max_in_flight calls are already running.
  [[nodiscard]] bool NextIds(const v1::NextIdsRequest& request, Callback<v1::NextIdsResponse> done);
  // The same with an explicit trace parent (for calls started off the
  // request's thread); an invalid `parent` means the thread's current span.
  [[nodiscard]] bool NextIds(const v1::NextIdsRequest& request,
                             const telemetry::SpanContext& parent,
                             Callback<v1::NextIdsResponse> done);
  [[nodiscard]] bool Decode(const v1::DecodeRequest& request, Callback<v1::DecodeResponse> done);

  // Asks every backend; `done` gets one report per backend, in order.
  void InfoAll(std::function<void(std::vector<InfoReport>&)> done);
  void HealthAll(std::function<void(std::vector<HealthReport>&)> done);

  const BackendConfig& config() const { return config_; }
  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  const RetryBudget& retry_budget() const { return budget_; }
  // Retries made and retries refused by the budget, since start.
  uint64_t retries() const { return retries_made_.load(std::memory_order_relaxed); }
  uint64_t retries_throttled() const { return throttled_made_.load(std::memory_order_relaxed); }

 private:
  struct Node;
  template <typename Request, typename Response>
  struct RetryingCall;
  Backends(BackendConfig config, BackendTargets targets, telemetry::Telemetry* telemetry,
           Clock* clock);
  bool Acquire();
  void Release() { in_flight_.fetch_sub(1, std::memory_order_acq_rel); }
  // Starts (another) attempt of `call` through `start`, which issues the RPC.
  template <typename Request, typename Response, typename Start>
  void Attempt(std::shared_ptr<RetryingCall<Request, Response>> call, Start start);
  template <typename Request, typename Response>
  std::shared_ptr<RetryingCall<Request, Response>> NewCall(const Request& request,
                                                           Callback<Response> done,
                                                           const char* method,
                                                           const telemetry::SpanContext& parent);
  template <typename Request, typename Response>
  void Finish(const std::shared_ptr<RetryingCall<Request, Response>>& call,
              const grpc::Status& status);
  // Whether a failed attempt is tried again; counts the retry if so.
  // `deadline` is monotonic (Clock::MonotonicNow).
  bool ShouldRetry(const grpc::Status& status, int attempts_made, absl::Duration deadline,
                   const char* method, absl::Duration* backoff);

  const BackendConfig config_;
  const std::string authorization_;  // "Bearer <api_key>" or ""
  const BackendTargets targets_;
  telemetry::Telemetry* const telemetry_;
  Clock* const clock_;
  std::shared_ptr<grpc::Channel> balanced_;
  std::unique_ptr<v1::IdGenerator::Stub> stub_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::atomic<int> in_flight_{0};  // NextIds and Decode calls
  std::atomic<int> pending_{0};    // every call whose callback is still due
  RetryBudget budget_;
  std::atomic<uint64_t> retries_made_{0};
  std::atomic<uint64_t> throttled_made_{0};
  telemetry::Counter* retries_ = nullptr;    // with telemetry
  telemetry::Counter* throttled_ = nullptr;  // with telemetry
  DelayQueue retry_queue_{clock_};           // backoffs; stopped first on destruction
};

}  // namespace idgen::gateway

#endif  // IDGEN_GATEWAY_BACKENDS_H_
