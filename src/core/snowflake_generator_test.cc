// Copyright idgen authors.
#include "idgen/snowflake_generator.h"

#include <algorithm>
#include <thread>
#include <unordered_set>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace idgen {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kStartMs = 1'790'000'000'000;

struct Fixture {
  explicit Fixture(ClockPolicy policy = {}, const Layout& layout = Layout::Twitter(),
                   int64_t worker = 7, SnowflakeOptions opts = {})
      : clock(absl::FromUnixMillis(kStartMs)) {
    opts.policy = policy;
    auto g = SnowflakeGenerator::Create(layout, worker, &clock, opts);
    EXPECT_TRUE(g.ok()) << g.status();
    gen = std::move(*g);
  }
  uint64_t NextOk() {
    auto id = gen->Next();
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : 0;
  }
  FakeClock clock;
  std::unique_ptr<SnowflakeGenerator> gen;
};

TEST(SnowflakeGeneratorTest, IdsCarryTimeWorkerAndSequence) {
  Fixture f;
  const uint64_t id = f.NextOk();
  const DecodedId d = Layout::Twitter().Decode(id);
  EXPECT_EQ(d.timestamp_ms, kStartMs);
  EXPECT_EQ(d.worker, 7u);
  EXPECT_EQ(d.sequence, 0u);
  EXPECT_EQ(Layout::Twitter().Decode(f.NextOk()).sequence, 1u);
  f.clock.Advance(absl::Milliseconds(1));
  const DecodedId d2 = Layout::Twitter().Decode(f.NextOk());
  EXPECT_EQ(d2.timestamp_ms, kStartMs + 1);
  EXPECT_EQ(d2.sequence, 0u);
}

TEST(SnowflakeGeneratorTest, SequenceRolloverWaitsForTheNextTick) {
  Fixture f;
  uint64_t prev = 0;
  for (int i = 0; i < 4096; ++i) {
    const uint64_t id = f.NextOk();
    ASSERT_GT(id, prev);
    prev = id;
  }
  EXPECT_EQ(f.clock.SleepCalls(), 0);
  const uint64_t next = f.NextOk();
  EXPECT_GT(next, prev);
  const DecodedId d = Layout::Twitter().Decode(next);
  EXPECT_EQ(d.timestamp_ms, kStartMs + 1);
  EXPECT_EQ(d.sequence, 0u);
  EXPECT_EQ(f.gen->stats().exhaustion_waits, 1u);
  EXPECT_EQ(f.clock.TotalSlept(), absl::Milliseconds(1));
}

TEST(SnowflakeGeneratorTest, WaitsOutSmallClockRegression) {
  Fixture f({.max_wait = absl::Milliseconds(5), .max_borrow = absl::Seconds(1)});
  const uint64_t before = f.NextOk();
  f.clock.StepWall(absl::Milliseconds(-3));
  const uint64_t after = f.NextOk();
  EXPECT_GT(after, before);
  EXPECT_GE(f.clock.TotalSlept(), absl::Milliseconds(3));
  const auto st = f.gen->stats();
  EXPECT_EQ(st.regressions, 1u);
  EXPECT_EQ(st.max_regression_ms, 3);
  EXPECT_EQ(st.waits, 1u);
  EXPECT_EQ(st.logical_ids, 0u);
  EXPECT_EQ(f.gen->clock_state(), ClockState::kNormal);
}

TEST(SnowflakeGeneratorTest, IssuesOnLogicalTimeWithinBorrowBound) {
  Fixture f({.max_wait = absl::Milliseconds(5), .max_borrow = absl::Seconds(1)});
  const uint64_t before = f.NextOk();
  f.clock.StepWall(absl::Milliseconds(-200));
  const uint64_t after = f.NextOk();
  EXPECT_GT(after, before);
  EXPECT_EQ(f.clock.SleepCalls(), 0) << "a medium regression must not block";
  EXPECT_EQ(Layout::Twitter().Decode(after).timestamp_ms, kStartMs);  // last tick, not wall
  EXPECT_EQ(f.gen->clock_state(), ClockState::kLogical);
  EXPECT_EQ(f.gen->clock_lag_ms(), 200);
  // Exhausting the sequence carries into the next tick instead of waiting.
  uint64_t prev = after;
  for (int i = 0; i < 5000; ++i) {
    const uint64_t id = f.NextOk();
    ASSERT_GT(id, prev);
    prev = id;
  }
  EXPECT_EQ(Layout::Twitter().Decode(prev).timestamp_ms, kStartMs + 1);
  const auto st = f.gen->stats();
  EXPECT_EQ(st.logical_ids, 5001u);
  EXPECT_EQ(st.borrowed_ms, 1);
  EXPECT_EQ(st.regressions, 1u);
  EXPECT_EQ(st.waits, 0u);
}

TEST(SnowflakeGeneratorTest, RefusesLargeClockRegressionAndRecovers) {
  Fixture f({.max_wait = absl::Milliseconds(5), .max_borrow = absl::Seconds(1)});
  const uint64_t before = f.NextOk();
  f.clock.StepWall(absl::Hours(-1));
  auto id = f.gen->Next();
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(id.status().message(), HasSubstr("behind the last issued ID"));
  EXPECT_EQ(f.gen->clock_state(), ClockState::kRefusing);
  EXPECT_EQ(f.gen->stats().refused_clock, 1u);
  // Batches are refused the same way.
  std::vector<uint64_t> batch(10);
  EXPECT_EQ(f.gen->NextBatch(absl::MakeSpan(batch)).code(), absl::StatusCode::kUnavailable);
  f.clock.StepWall(absl::Hours(1) + absl::Milliseconds(1));
  EXPECT_GT(f.NextOk(), before);
  EXPECT_EQ(f.gen->clock_state(), ClockState::kNormal);
}

TEST(SnowflakeGeneratorTest, ObserveClockReportsStateWithoutIssuing) {
  SnowflakeOptions opts;
  opts.issue_after_unix_ms = kStartMs + 3'600'000;  // restarted an hour behind
  Fixture f({.max_wait = absl::Milliseconds(5), .max_borrow = absl::Seconds(1)}, Layout::Twitter(),
            7, opts);
  EXPECT_EQ(f.gen->clock_state(), ClockState::kNormal);  // nothing asked yet
  EXPECT_EQ(f.gen->ObserveClock(), ClockState::kRefusing);
  EXPECT_EQ(f.gen->clock_lag_ms(), 3'600'000);
  f.clock.Advance(absl::Minutes(60) - absl::Milliseconds(500));
  EXPECT_EQ(f.gen->ObserveClock(), ClockState::kLogical);
  f.clock.Advance(absl::Milliseconds(497));
  EXPECT_EQ(f.gen->ObserveClock(), ClockState::kWaiting);
  f.clock.Advance(absl::Milliseconds(3));
  EXPECT_EQ(f.gen->ObserveClock(), ClockState::kNormal);
  EXPECT_EQ(f.gen->clock_lag_ms(), 0);
  EXPECT_EQ(f.clock.SleepCalls(), 0);
}

TEST(SnowflakeGeneratorTest, BorrowingStopsAtTheBorrowBound) {
  // Unit 1 ms, 1 sequence bit: two IDs per tick make carrying easy to see.
  auto layout = Layout::Create({.time_bits = 41,
                                .worker_bits = 10,
                                .sequence_bits = 1,
                                .unit_ms = 1,
                                .epoch_unix_ms = 1288834974657,
                                .name = "tiny"},
                               absl::FromUnixMillis(kStartMs));
  ASSERT_TRUE(layout.ok());
  Fixture f({.max_wait = absl::ZeroDuration(), .max_borrow = absl::Milliseconds(3)}, *layout);
  f.NextOk();                                // tick T, seq 0
  f.clock.StepWall(absl::Milliseconds(-2));  // wall = T-2
  // Allowed: (T,1) lag 2, (T+1,0) (T+1,1) lag 3. Then (T+2,0) would be lag 4.
  for (int i = 0; i < 3; ++i) f.NextOk();
  auto refused = f.gen->Next();
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("4 ms behind"));
  EXPECT_EQ(f.gen->stats().borrowed_ms, 1);
}

TEST(SnowflakeGeneratorTest, NeverCrossesTheReservation) {
  SnowflakeOptions opts;
  opts.reserved_until_unix_ms = kStartMs;
  Fixture f({}, Layout::Twitter(), 7, opts);
  f.NextOk();
  f.clock.Advance(absl::Milliseconds(1));
  auto id = f.gen->Next();
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(id.status().message(), HasSubstr("reservation"));
  EXPECT_EQ(f.gen->stats().refused_reservation, 1u);
  f.gen->SetReservedUntil(kStartMs + 1);
  EXPECT_EQ(Layout::Twitter().Decode(f.NextOk()).timestamp_ms, kStartMs + 1);
  // Lowering it below what was issued stops issuing altogether.
  f.gen->SetReservedUntil(kStartMs - 10);
  EXPECT_FALSE(f.gen->Next().ok());
}

TEST(SnowflakeGeneratorTest, ExhaustingTheReservedTickFailsInsteadOfCrossing) {
  SnowflakeOptions opts;
  opts.reserved_until_unix_ms = kStartMs;
  Fixture f({}, Layout::Twitter(), 7, opts);
  std::vector<uint64_t> ids(4096);
  ASSERT_TRUE(f.gen->NextBatch(absl::MakeSpan(ids)).ok());
  auto id = f.gen->Next();
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(id.status().message(), HasSubstr("reservation"));
}

TEST(SnowflakeGeneratorTest, StartsStrictlyAboveTheIssueAfterFloor) {
  SnowflakeOptions opts;
  opts.issue_after_unix_ms = kStartMs + 50;  // previous holder reserved up to here
  Fixture f({.max_wait = absl::Milliseconds(5), .max_borrow = absl::Seconds(1)}, Layout::Twitter(),
            7, opts);
  const DecodedId d = Layout::Twitter().Decode(f.NextOk());
  EXPECT_EQ(d.timestamp_ms, kStartMs + 51);
}

TEST(SnowflakeGeneratorTest, RefusesWhenFloorIsFarAheadOfTheClock) {
  SnowflakeOptions opts;
  opts.issue_after_unix_ms = kStartMs + 3'600'000;  // restarted an hour behind
  Fixture f({.max_wait = absl::Milliseconds(5), .max_borrow = absl::Seconds(1)}, Layout::Twitter(),
            7, opts);
  auto id = f.gen->Next();
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kUnavailable);
  f.clock.Advance(absl::Hours(1) + absl::Milliseconds(1));
  EXPECT_GT(Layout::Twitter().Decode(f.NextOk()).timestamp_ms, kStartMs + 3'600'000);
}

TEST(SnowflakeGeneratorTest, BatchIsContiguousWithinATickAndSpansTicks) {
  Fixture f;
  std::vector<uint64_t> ids(10'000);
  ASSERT_TRUE(f.gen->NextBatch(absl::MakeSpan(ids)).ok());
  for (size_t i = 1; i < ids.size(); ++i) ASSERT_GT(ids[i], ids[i - 1]);
  for (size_t i = 1; i < 4096; ++i) ASSERT_EQ(ids[i], ids[i - 1] + 1);
  EXPECT_EQ(Layout::Twitter().Decode(ids.back()).timestamp_ms, kStartMs + 2);
  EXPECT_EQ(f.gen->stats().exhaustion_waits, 2u);
  EXPECT_GT(f.NextOk(), ids.back());
}

TEST(SnowflakeGeneratorTest, ClockBeforeEpochIsUnavailable) {
  Fixture f;
  f.clock.SetWall(absl::FromUnixMillis(1'000'000'000'000));  // 2001, before twitter's epoch
  auto id = f.gen->Next();
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(id.status().message(), HasSubstr("before the layout epoch"));
}

TEST(SnowflakeGeneratorTest, TimeBitsRunningOutIsAFailedPrecondition) {
  // 20 time bits at 1 ms from an epoch an hour ago ran out after ~17 minutes.
  auto layout = Layout::Create({.time_bits = 20,
                                .worker_bits = 10,
                                .sequence_bits = 12,
                                .unit_ms = 1,
                                .epoch_unix_ms = kStartMs - 3'600'000,
                                .name = "short"},
                               absl::FromUnixMillis(kStartMs));
  ASSERT_TRUE(layout.ok());
  Fixture f({}, *layout);
  auto id = f.gen->Next();
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(id.status().message(), HasSubstr("ran out of time bits"));
}

TEST(SnowflakeGeneratorTest, CreateRejectsBadWorkerAndPolicy) {
  FakeClock clock(absl::FromUnixMillis(kStartMs));
  auto bad_worker = SnowflakeGenerator::Create(Layout::Twitter(), 1024, &clock, {});
  EXPECT_THAT(bad_worker.status().message(), HasSubstr("out of range 0..1023"));
  SnowflakeOptions opts;
  opts.policy = {.max_wait = absl::Seconds(2), .max_borrow = absl::Seconds(1)};
  auto bad_policy = SnowflakeGenerator::Create(Layout::Twitter(), 1, &clock, opts);
  EXPECT_THAT(bad_policy.status().message(), HasSubstr("must be at least max_wait"));
  opts.policy = {.max_wait = absl::Seconds(-1), .max_borrow = absl::Seconds(1)};
  EXPECT_FALSE(SnowflakeGenerator::Create(Layout::Twitter(), 1, &clock, opts).ok());
  EXPECT_FALSE(SnowflakeGenerator::Create(Layout::Twitter(), 1, nullptr, {}).ok());
}

// Many threads on the real clock: every ID unique, each thread's increasing.
TEST(SnowflakeGeneratorTest, ManyThreadsGetUniqueIncreasingIds) {
  auto gen = SnowflakeGenerator::Create(Layout::Twitter(), 3, SystemClock::Get(), {});
  ASSERT_TRUE(gen.ok());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 40'000;
  std::vector<std::vector<uint64_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      got[t].reserve(kPerThread);
      std::vector<uint64_t> batch(37);
      while (got[t].size() < kPerThread) {
        if (got[t].size() % 3 == 0) {
          ASSERT_TRUE((*gen)->NextBatch(absl::MakeSpan(batch)).ok());
          got[t].insert(got[t].end(), batch.begin(), batch.end());
        } else {
          auto id = (*gen)->Next();
          ASSERT_TRUE(id.ok()) << id.status();
          got[t].push_back(*id);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<uint64_t> all;
  for (const auto& v : got) {
    for (size_t i = 1; i < v.size(); ++i) ASSERT_GT(v[i], v[i - 1]);
    all.insert(all.end(), v.begin(), v.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "duplicate ID";
}

// Many threads while another thread drags the fake clock back and forth.
TEST(SnowflakeGeneratorTest, ManyThreadsStayUniqueWhileTheClockJumps) {
  FakeClock clock(absl::FromUnixMillis(kStartMs));
  SnowflakeOptions opts;
  opts.policy = {.max_wait = absl::Milliseconds(2), .max_borrow = absl::Milliseconds(50)};
  auto gen = SnowflakeGenerator::Create(Layout::Twitter(), 3, &clock, opts);
  ASSERT_TRUE(gen.ok());
  std::atomic<bool> stop{false};
  std::thread mover([&] {
    for (int i = 0; i < 2'000 && !stop.load(); ++i) {
      clock.StepWall(absl::Milliseconds((i % 7 == 0) ? -20 : (i % 11 == 0 ? -200 : 3)));
      std::this_thread::yield();
    }
  });
  constexpr int kThreads = 3;
  std::vector<std::vector<uint64_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20'000; ++i) {
        auto id = (*gen)->Next();
        if (id.ok()) got[t].push_back(*id);
      }
    });
  }
  for (auto& th : threads) th.join();
  stop = true;
  mover.join();
  std::vector<uint64_t> all;
  for (const auto& v : got) {
    for (size_t i = 1; i < v.size(); ++i) ASSERT_GT(v[i], v[i - 1]);
    all.insert(all.end(), v.begin(), v.end());
  }
  ASSERT_FALSE(all.empty());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "duplicate ID";
}

}  // namespace
}  // namespace idgen
