// Copyright idgen authors.
#include "src/core/cached_clock.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "idgen/internal/mutex.h"
#include "idgen/layout.h"
#include "idgen/snowflake_generator.h"

namespace idgen {
namespace {

constexpr int64_t kStartMs = 1'790'000'000'000;
// Long enough that the ticker never fires during a test.
constexpr absl::Duration kNever = absl::Hours(1);

// Polls clock.WallUnixMillis() until it equals `want`, for at most 1 s of
// real time. Returns the last value seen.
int64_t WaitForCached(CachedClock& clock, int64_t want) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  int64_t got = clock.WallUnixMillis();
  while (got != want && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::microseconds(50));
    got = clock.WallUnixMillis();
  }
  return got;
}

TEST(CachedClockTest, StartsWithTheBaseReading) {
  FakeClock base(absl::FromUnixMillis(kStartMs));
  CachedClock clock(&base, kNever);
  EXPECT_EQ(clock.WallUnixMillis(), kStartMs);
  EXPECT_EQ(clock.period(), kNever);
}

TEST(CachedClockTest, FollowsTheBaseWithinABoundedWait) {
  FakeClock base(absl::FromUnixMillis(kStartMs));
  CachedClock clock(&base, absl::Microseconds(100));
  base.Advance(absl::Seconds(5));
  EXPECT_EQ(WaitForCached(clock, kStartMs + 5'000), kStartMs + 5'000);
  base.Advance(absl::Milliseconds(1));
  EXPECT_EQ(WaitForCached(clock, kStartMs + 5'001), kStartMs + 5'001);
  EXPECT_GT(clock.ticks(), 0u);
}

TEST(CachedClockTest, FollowsABackwardStepToo) {
  FakeClock base(absl::FromUnixMillis(kStartMs));
  CachedClock clock(&base, absl::Microseconds(100));
  base.StepWall(absl::Seconds(-3));
  EXPECT_EQ(WaitForCached(clock, kStartMs - 3'000), kStartMs - 3'000);
}

TEST(CachedClockTest, OtherMethodsGoToTheBasePrecisely) {
  FakeClock base(absl::FromUnixMillis(kStartMs));
  CachedClock clock(&base, kNever);
  base.Advance(absl::Milliseconds(7));
  // The cache has not been refreshed; WallNow and MonotonicNow are the base's.
  EXPECT_EQ(clock.WallUnixMillis(), kStartMs);
  EXPECT_EQ(clock.WallNow(), absl::FromUnixMillis(kStartMs + 7));
  EXPECT_EQ(clock.MonotonicNow(), base.MonotonicNow());
}

TEST(CachedClockTest, SleepForRefreshesImmediately) {
  FakeClock base(absl::FromUnixMillis(kStartMs));
  CachedClock clock(&base, kNever);
  base.Advance(absl::Milliseconds(7));
  ASSERT_EQ(clock.WallUnixMillis(), kStartMs);
  clock.SleepFor(absl::Milliseconds(1));  // the fake advances instead of blocking
  EXPECT_EQ(base.TotalSlept(), absl::Milliseconds(1));
  EXPECT_EQ(clock.WallUnixMillis(), kStartMs + 8);
  // A zero or negative sleep still refreshes, backward steps included.
  base.StepWall(absl::Milliseconds(-3));
  clock.SleepFor(absl::ZeroDuration());
  EXPECT_EQ(clock.WallUnixMillis(), kStartMs + 5);
  base.Advance(absl::Milliseconds(2));
  clock.SleepFor(absl::Milliseconds(-1));
  EXPECT_EQ(clock.WallUnixMillis(), kStartMs + 7);
  EXPECT_EQ(base.SleepCalls(), 1);
  EXPECT_EQ(clock.ticks(), 0u);
}

TEST(CachedClockTest, DestructorStopsPromptlyDespiteALongPeriod) {
  FakeClock base(absl::FromUnixMillis(kStartMs));
  const auto start = std::chrono::steady_clock::now();
  {
    CachedClock clock(&base, kNever);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // let the ticker wait
  }
  {
    CachedClock clock(&base, kNever);  // destroyed before the ticker may have run
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

// The ticker (every 1 us) and SleepFor refreshes race while the base only
// moves forwards: the cache must never move backwards. (A smoke test, mainly
// for TSan; the next test pins down the ordering deterministically.)
TEST(CachedClockTest, ConcurrentRefreshesNeverGoBackwards) {
  FakeClock base(absl::FromUnixMillis(kStartMs));
  CachedClock clock(&base, absl::Microseconds(1));
  constexpr int kSteps = 200'000;
  std::atomic<bool> done{false};
  std::thread advancer([&] {
    for (int i = 0; i < kSteps; ++i) base.Advance(absl::Milliseconds(1));
    done = true;
  });
  std::thread refresher([&] {
    while (!done) clock.SleepFor(absl::ZeroDuration());
  });
  int64_t prev = clock.WallUnixMillis();
  while (!done) {
    const int64_t now = clock.WallUnixMillis();
    ASSERT_GE(now, prev);
    prev = now;
  }
  advancer.join();
  refresher.join();
  clock.Refresh();
  EXPECT_EQ(clock.WallUnixMillis(), kStartMs + kSteps);
}

// A base clock that can hold one reader between reading the time and
// returning it, to stage "the ticker read an old value, was descheduled, and
// stores it after a newer refresh". Wall time only; the rest is unused.
class GatedClock final : public Clock {
 public:
  explicit GatedClock(int64_t ms) : ms_(ms) {}

  int64_t WallUnixMillis() override {
    MutexLock lock(&mu_);
    const int64_t v = ms_;
    if (armed_) {  // the first reader after Arm() is held
      armed_ = false;
      held_ = true;
      cv_.SignalAll();
      while (held_) cv_.Wait();
    }
    return v;
  }
  absl::Time WallNow() override { return absl::FromUnixMillis(WallUnixMillis()); }
  absl::Duration MonotonicNow() override { return absl::ZeroDuration(); }
  void SleepFor(absl::Duration) override {}

  void Set(int64_t ms) {
    MutexLock lock(&mu_);
    ms_ = ms;
  }
  void Arm() {
    MutexLock lock(&mu_);
    armed_ = true;
  }
  void AwaitHeld() {
    MutexLock lock(&mu_);
    while (!held_) cv_.Wait();
  }
  void Release() {
    MutexLock lock(&mu_);
    held_ = false;
    cv_.SignalAll();
  }

 private:
  Mutex mu_;
  CondVar cv_{&mu_};
  int64_t ms_ ABSL_GUARDED_BY(mu_);
  bool armed_ ABSL_GUARDED_BY(mu_) = false;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
};

TEST(CachedClockTest, AStaleTickerReadCannotOverwriteANewerRefresh) {
  GatedClock base(kStartMs);
  // The ticker refreshes once, 100 ms in, and not again during the check.
  const absl::Duration period = absl::Milliseconds(100);
  CachedClock clock(&base, period);
  base.Arm();        // the next reader is the ticker's first refresh: it is held
  base.AwaitHeld();  // the ticker has read kStartMs and is held
  base.Set(kStartMs + 10);
  // A waiter's refresh reads the newer value. It must not be stored before
  // the ticker's older reading: it waits for the ticker's refresh to end.
  std::thread waiter([&] { clock.SleepFor(absl::ZeroDuration()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  base.Release();  // the ticker stores kStartMs
  waiter.join();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (clock.ticks() < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_EQ(clock.ticks(), 1u);
  // The latest reading wins (an unordered ticker would have put back kStartMs,
  // to be seen until its next refresh a period later).
  EXPECT_EQ(clock.WallUnixMillis(), kStartMs + 10);
}

// Sequence exhaustion on a cache that the ticker never refreshes: the
// generator's wait for the next tick goes through SleepFor, whose refresh is
// what lets it continue (without it, it would re-sleep for 0 ms forever).
TEST(CachedClockTest, GeneratorExhaustionWaitEndsThroughTheRefresh) {
  FakeClock base(absl::FromUnixMillis(kStartMs));
  CachedClock clock(&base, kNever);
  auto gen = SnowflakeGenerator::Create(Layout::Twitter(), 7, &clock, {});
  ASSERT_TRUE(gen.ok()) << gen.status();
  uint64_t prev = 0;
  for (int i = 0; i < 4096 + 1; ++i) {
    absl::StatusOr<uint64_t> id = (*gen)->Next();
    ASSERT_TRUE(id.ok()) << id.status();
    ASSERT_GT(*id, prev);
    prev = *id;
  }
  EXPECT_EQ(Layout::Twitter().Decode(prev).timestamp_ms, kStartMs + 1);
  EXPECT_EQ(base.SleepCalls(), 1);
  EXPECT_EQ((*gen)->stats().exhaustion_waits, 1u);
  EXPECT_EQ((*gen)->stats().regressions, 0u);
}

// A backward step reaches the generator at the next refresh and goes through
// its clock policy (here: waited out), like on an uncached clock.
TEST(CachedClockTest, GeneratorSeesARegressionAtTheNextRefresh) {
  FakeClock base(absl::FromUnixMillis(kStartMs));
  CachedClock clock(&base, kNever);
  auto gen = SnowflakeGenerator::Create(Layout::Twitter(), 7, &clock, {});
  ASSERT_TRUE(gen.ok()) << gen.status();
  const absl::StatusOr<uint64_t> first = (*gen)->Next();
  ASSERT_TRUE(first.ok()) << first.status();
  base.StepWall(absl::Milliseconds(-3));
  clock.Refresh();  // what the ticker would do within a period
  const absl::StatusOr<uint64_t> second = (*gen)->Next();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_GT(*second, *first);
  const SnowflakeGenerator::Stats s = (*gen)->stats();
  EXPECT_EQ(s.regressions, 1u);
  EXPECT_EQ(s.max_regression_ms, 3);
  EXPECT_EQ(s.waits, 1u);
  EXPECT_EQ(base.TotalSlept(), absl::Milliseconds(3));
}

// On the real clock with the default period: two threads share one
// generator on the twitter layout, whose sequence runs out every millisecond.
// Unique, increasing per thread; the test finishing at all shows that the
// exhaustion waits end.
TEST(CachedClockTest, GeneratorOnTheSystemClockTwoThreads) {
  CachedClock clock(SystemClock::Get());
  auto gen = SnowflakeGenerator::Create(Layout::Twitter(), 7, &clock, {});
  ASSERT_TRUE(gen.ok()) << gen.status();
  constexpr int kThreads = 2;
  constexpr size_t kPerThread = 200'000;
  std::vector<std::vector<uint64_t>> ids(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ids[t].reserve(kPerThread);
      for (size_t i = 0; i < kPerThread; ++i) {
        absl::StatusOr<uint64_t> id = (*gen)->Next();
        if (!id.ok()) {
          ++errors;
          return;
        }
        ids[t].push_back(*id);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  ASSERT_EQ(errors.load(), 0);
  std::vector<uint64_t> all;
  for (const std::vector<uint64_t>& v : ids) {
    ASSERT_EQ(v.size(), kPerThread);
    EXPECT_TRUE(std::adjacent_find(v.begin(), v.end(),
                                   [](uint64_t a, uint64_t b) { return a >= b; }) == v.end());
    all.insert(all.end(), v.begin(), v.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_TRUE(std::adjacent_find(all.begin(), all.end()) == all.end());
  // Timestamps stay close to the real clock (lag below a period plus
  // scheduling delay; 1 s is a loose, load-proof bound).
  const int64_t last_ms = Layout::Twitter().Decode(all.back()).timestamp_ms;
  EXPECT_NEAR(static_cast<double>(last_ms), static_cast<double>(absl::ToUnixMillis(absl::Now())),
              1000.0);
}

}  // namespace
}  // namespace idgen
