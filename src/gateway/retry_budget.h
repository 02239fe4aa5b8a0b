// Copyright idgen authors.
//
// RetryBudget: when the gateway may retry a failed backend call, and after
// how long. The same rules as gRPC's retry policy and retryThrottling
// (gRFC A6), kept in the gateway so that every retry is counted and traced:
//
//   * throttling: a token bucket of `max_tokens`; each failed attempt takes
//     one token, each success gives back `token_ratio`; retries are allowed
//     only while more than half the tokens are left, so a dead cluster gets
//     no retry storm;
//   * backoff before retry n (1-based): base * 2^(n-1), capped at 8 * base,
//     times a random factor in [0.8, 1.2).
//
// Thread-safety: all methods may be called concurrently.
#ifndef IDGEN_GATEWAY_RETRY_BUDGET_H_
#define IDGEN_GATEWAY_RETRY_BUDGET_H_

#include <atomic>
#include <cstdint>

#include "absl/time/time.h"

namespace idgen::gateway {

class RetryBudget {
 public:
  explicit RetryBudget(int max_tokens = 100, double token_ratio = 0.1);

  void OnSuccess();
  void OnFailure();
  bool RetryAllowed() const;
  double tokens() const;

  // `jitter` in [0, 1) picks the factor in [0.8, 1.2).
  static absl::Duration Backoff(int retry, absl::Duration base, double jitter);

 private:
  static constexpr int64_t kScale = 1000;  // tokens are kept in thousandths
  const int64_t max_;
  const int64_t ratio_;
  std::atomic<int64_t> tokens_;
};

}  // namespace idgen::gateway

#endif  // IDGEN_GATEWAY_RETRY_BUDGET_H_
