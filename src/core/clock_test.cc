// Copyright idgen authors.
#include "idgen/clock.h"

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace idgen {
namespace {

TEST(FakeClockTest, AdvanceMovesWallAndMonotonic) {
  FakeClock clock(absl::FromUnixMillis(1'000));
  const absl::Duration mono0 = clock.MonotonicNow();
  clock.Advance(absl::Milliseconds(5));
  EXPECT_EQ(clock.WallUnixMillis(), 1'005);
  EXPECT_EQ(clock.MonotonicNow() - mono0, absl::Milliseconds(5));
}

TEST(FakeClockTest, WallStepsBackButMonotonicDoesNot) {
  FakeClock clock(absl::FromUnixMillis(10'000));
  const absl::Duration mono0 = clock.MonotonicNow();
  clock.StepWall(absl::Seconds(-3));
  EXPECT_EQ(clock.WallUnixMillis(), 7'000);
  EXPECT_EQ(clock.MonotonicNow(), mono0);
  clock.SetWall(absl::FromUnixMillis(1));
  EXPECT_EQ(clock.WallUnixMillis(), 1);
}

TEST(FakeClockTest, SleepAdvancesTimeAndIsRecorded) {
  FakeClock clock(absl::FromUnixMillis(0));
  clock.SleepFor(absl::Milliseconds(3));
  clock.SleepFor(absl::ZeroDuration());
  clock.SleepFor(absl::Milliseconds(-1));
  EXPECT_EQ(clock.WallUnixMillis(), 3);
  EXPECT_EQ(clock.TotalSlept(), absl::Milliseconds(3));
  EXPECT_EQ(clock.SleepCalls(), 1);
}

TEST(SystemClockTest, MonotonicNeverDecreasesAndSleepWaitsAtLeastAsked) {
  SystemClock* clock = SystemClock::Get();
  const absl::Duration a = clock->MonotonicNow();
  clock->SleepFor(absl::Microseconds(300));
  const absl::Duration b = clock->MonotonicNow();
  EXPECT_GE(b - a, absl::Microseconds(300));
  // Wall time agrees with absl's idea of now to within a second.
  EXPECT_LT(absl::AbsDuration(clock->WallNow() - absl::Now()), absl::Seconds(1));
  EXPECT_NEAR(static_cast<double>(clock->WallUnixMillis()),
              static_cast<double>(absl::ToUnixMillis(absl::Now())), 1000.0);
}

}  // namespace
}  // namespace idgen
