// Copyright idgen authors.
#include "src/segment/segment_pacing.h"

#include <gtest/gtest.h>

#include <cstring>

namespace idgen::segment {
namespace {

const StepPolicy kPolicy{.min_step = 1000, .max_step = 8000};

TEST(AdaptStepTest, DoublesWhenASegmentLastedUnderGrowBelow) {
  EXPECT_EQ(AdaptStep(1000, absl::Minutes(1), kPolicy), 2000u);
  EXPECT_EQ(AdaptStep(2000, absl::Seconds(1), kPolicy), 4000u);
}

TEST(AdaptStepTest, StopsAtMaxStep) {
  EXPECT_EQ(AdaptStep(4000, absl::Seconds(1), kPolicy), 8000u);
  EXPECT_EQ(AdaptStep(8000, absl::Seconds(1), kPolicy), 8000u);
  EXPECT_EQ(AdaptStep(5000, absl::Seconds(1), kPolicy), 8000u);  // clamped, not passed
}

TEST(AdaptStepTest, KeepsTheStepBetweenTheBounds) {
  EXPECT_EQ(AdaptStep(4000, absl::Minutes(10), kPolicy), 4000u);
  EXPECT_EQ(AdaptStep(4000, absl::Minutes(5), kPolicy), 4000u);
  EXPECT_EQ(AdaptStep(4000, absl::Minutes(20), kPolicy), 4000u);
}

TEST(AdaptStepTest, HalvesWhenASegmentLastedOverShrinkAboveButNotBelowTheStep) {
  EXPECT_EQ(AdaptStep(8000, absl::Minutes(21), kPolicy), 4000u);
  EXPECT_EQ(AdaptStep(1500, absl::Hours(2), kPolicy), 1000u);
  EXPECT_EQ(AdaptStep(1000, absl::Hours(2), kPolicy), 1000u);
}

TEST(AdaptStepTest, HugeMaxStepDoesNotOverflow) {
  const StepPolicy p{.min_step = 1, .max_step = UINT64_MAX};
  EXPECT_EQ(AdaptStep(UINT64_MAX / 2 + 1, absl::Seconds(1), p), UINT64_MAX);
}

// Bytes from a fixed pattern, so the jitter is known.
class FixedRandom final : public RandomSource {
 public:
  explicit FixedRandom(uint8_t byte) : byte_(byte) {}
  void Fill(absl::Span<uint8_t> out) override { std::memset(out.data(), byte_, out.size()); }

 private:
  uint8_t byte_;
};

TEST(LeaseBackoffTest, DoublesUpToTheMaximumWithoutJitterSource) {
  LeaseBackoff b(absl::Milliseconds(50), absl::Milliseconds(300), nullptr);
  EXPECT_EQ(b.NextDelay(), absl::Milliseconds(50));
  EXPECT_EQ(b.NextDelay(), absl::Milliseconds(100));
  EXPECT_EQ(b.NextDelay(), absl::Milliseconds(200));
  EXPECT_EQ(b.NextDelay(), absl::Milliseconds(300));
  EXPECT_EQ(b.NextDelay(), absl::Milliseconds(300));
  EXPECT_EQ(b.failures(), 5);
  b.Reset();
  EXPECT_EQ(b.NextDelay(), absl::Milliseconds(50));
}

TEST(LeaseBackoffTest, JitterStaysBetweenHalfAndTheCeiling) {
  FixedRandom low(0);
  FixedRandom high(0xff);
  LeaseBackoff lo(absl::Milliseconds(100), absl::Seconds(1), &low);
  LeaseBackoff hi(absl::Milliseconds(100), absl::Seconds(1), &high);
  EXPECT_EQ(lo.NextDelay(), absl::Milliseconds(50));
  EXPECT_EQ(hi.NextDelay(), absl::Milliseconds(100));
  EXPECT_EQ(lo.NextDelay(), absl::Milliseconds(100));
  EXPECT_EQ(hi.NextDelay(), absl::Milliseconds(200));
}

}  // namespace
}  // namespace idgen::segment
