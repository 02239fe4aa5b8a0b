// Copyright idgen authors.
#include "src/segment/segment_pacing.h"

#include <algorithm>
#include <array>

namespace idgen::segment {

uint64_t AdaptStep(uint64_t current, absl::Duration lasted, const StepPolicy& policy) {
  uint64_t next = current;
  if (lasted < policy.grow_below) {
    next = current > policy.max_step / 2 ? policy.max_step : current * 2;
  } else if (lasted > policy.shrink_above) {
    next = current / 2;
  }
  return std::clamp(next, policy.min_step, std::max(policy.min_step, policy.max_step));
}

absl::Duration LeaseBackoff::NextDelay() {
  absl::Duration ceiling = min_;
  for (int i = 0; i < failures_ && ceiling < max_; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, max_);
  ++failures_;
  if (random_ == nullptr) return ceiling;
  std::array<uint8_t, 2> bytes{};
  random_->Fill(absl::MakeSpan(bytes));
  const double fraction = static_cast<double>(bytes[0] | (bytes[1] << 8)) / 65535.0;
  return ceiling / 2 + (ceiling / 2) * fraction;
}

}  // namespace idgen::segment
