// Copyright idgen authors.
//
// Backends: the gateway's gRPC client side. One load-balanced channel (see
// BackendConfig: round_robin, health checking, retries) carries the ID
// traffic; one channel per backend answers /v1/info and /health, which must
// ask every node rather than any.
//
// Every call is asynchronous (gRPC's callback API): the callback runs on a
// gRPC thread, never on the caller's, and every call has a deadline
// (call_timeout), so no call can hang. NextIds and Decode are bounded by
// max_in_flight: beyond it they return false at once and the caller answers
// 429.
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
#include "idgen/v1/idgen.grpc.pb.h"
#include "src/gateway/backend_config.h"

namespace idgen::telemetry {
class Telemetry;
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
  // CLIENT span, child of the span current on the calling thread.
  static absl::StatusOr<std::unique_ptr<Backends>> Create(
      const BackendConfig& config, telemetry::Telemetry* telemetry = nullptr);
  ~Backends();
  Backends(const Backends&) = delete;
  Backends& operator=(const Backends&) = delete;

  // Starts a NextIds / Decode call; false (and `done` is never called) if
  // max_in_flight calls are already running.
  [[nodiscard]] bool NextIds(const v1::NextIdsRequest& request, Callback<v1::NextIdsResponse> done);
  [[nodiscard]] bool Decode(const v1::DecodeRequest& request, Callback<v1::DecodeResponse> done);

  // Asks every backend; `done` gets one report per backend, in order.
  void InfoAll(std::function<void(std::vector<InfoReport>&)> done);
  void HealthAll(std::function<void(std::vector<HealthReport>&)> done);

  const BackendConfig& config() const { return config_; }
  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

 private:
  struct Node;
  Backends(BackendConfig config, BackendTargets targets, telemetry::Telemetry* telemetry);
  bool Acquire();
  void Release() { in_flight_.fetch_sub(1, std::memory_order_acq_rel); }
  // Sets the deadline and, with telemetry, the trace parent.
  void SetDeadline(grpc::ClientContext& ctx) const;

  const BackendConfig config_;
  const BackendTargets targets_;
  telemetry::Telemetry* const telemetry_;
  std::shared_ptr<grpc::Channel> balanced_;
  std::unique_ptr<v1::IdGenerator::Stub> stub_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::atomic<int> in_flight_{0};  // NextIds and Decode calls
  std::atomic<int> pending_{0};    // every call whose callback is still due
};

}  // namespace idgen::gateway

#endif  // IDGEN_GATEWAY_BACKENDS_H_
