// Copyright idgen authors.
#include "src/gateway/retry_budget.h"

#include <algorithm>
#include <cmath>

namespace idgen::gateway {

RetryBudget::RetryBudget(int max_tokens, double token_ratio)
    : max_(int64_t{max_tokens} * kScale),
      ratio_(static_cast<int64_t>(std::llround(token_ratio * kScale))),
      tokens_(int64_t{max_tokens} * kScale) {}

void RetryBudget::OnSuccess() {
  int64_t t = tokens_.load(std::memory_order_relaxed);
  while (t < max_ &&
         !tokens_.compare_exchange_weak(t, std::min(max_, t + ratio_), std::memory_order_relaxed)) {
  }
}

void RetryBudget::OnFailure() {
  int64_t t = tokens_.load(std::memory_order_relaxed);
  while (t > 0 && !tokens_.compare_exchange_weak(t, std::max<int64_t>(0, t - kScale),
                                                 std::memory_order_relaxed)) {
  }
}

bool RetryBudget::RetryAllowed() const {
  return tokens_.load(std::memory_order_relaxed) * 2 > max_;
}

double RetryBudget::tokens() const {
  return static_cast<double>(tokens_.load(std::memory_order_relaxed)) / kScale;
}

absl::Duration RetryBudget::Backoff(int retry, absl::Duration base, double jitter) {
  const int doublings = std::clamp(retry - 1, 0, 3);  // 1x, 2x, 4x, 8x
  const absl::Duration d = base * (1 << doublings);
  return d * (0.8 + 0.4 * std::clamp(jitter, 0.0, 0.999999));
}

}  // namespace idgen::gateway
