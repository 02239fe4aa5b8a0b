// Copyright idgen authors.
#include "src/segment/segment_buffer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <thread>
#include <vector>

#include "src/segment/testing/scripted_segment_store.h"

namespace idgen::segment {
namespace {

using ::testing::HasSubstr;
using testing::ScriptedSegmentStore;

// The loader runs on its own thread: poll for what it must reach, bounded.
bool WaitUntil(const std::function<bool()>& cond) {
  for (int i = 0; i < 500; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

class SegmentBufferTest : public ::testing::Test {
 protected:
  std::unique_ptr<SegmentBuffer> Make(SegmentBufferOptions o) {
    if (o.counter.empty()) o.counter = "orders";
    auto b = SegmentBuffer::Create(std::move(o), &store_, &clock_, nullptr);
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() ? *std::move(b) : nullptr;
  }
  static std::vector<uint64_t> TakeN(SegmentBuffer& b, size_t n) {
    std::vector<uint64_t> ids(n);
    EXPECT_TRUE(b.Take(absl::MakeSpan(ids)).ok());
    return ids;
  }

  ScriptedSegmentStore store_;
  FakeClock clock_{absl::FromUnixSeconds(1'700'000'000)};
};

TEST_F(SegmentBufferTest, HandsOutDenseIncreasingIdsAcrossSegments) {
  auto b = Make({.step = 10});
  std::vector<uint64_t> ids = TakeN(*b, 25);
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], i + 1);
  EXPECT_EQ(b->stats().next_id, 26u);
  EXPECT_EQ(*b->TakeOne(), 26u);
}

TEST_F(SegmentBufferTest, LeasesTheNextSegmentOnlyOnceLoadAtIsUsed) {
  auto b = Make({.step = 100, .load_at = 0.5});
  TakeN(*b, 49);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(store_.lease_calls(), 1);
  TakeN(*b, 1);  // the 50th: half used
  ASSERT_TRUE(WaitUntil([&] { return b->stats().buffered == 150; }));
  EXPECT_EQ(store_.lease_calls(), 2);
}

TEST_F(SegmentBufferTest, KeepsAtMostOneLeaseInFlight) {
  store_.SetBlocked(true);
  auto b = Make({.step = 5});
  std::vector<std::thread> callers;
  std::vector<absl::Status> results(8);
  for (size_t i = 0; i < results.size(); ++i) {
    callers.emplace_back([&, i] {
      std::vector<uint64_t> ids(3);
      results[i] = b->Take(absl::MakeSpan(ids));
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(store_.lease_calls(), 1);
  store_.SetBlocked(false);
  for (std::thread& t : callers) t.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  EXPECT_GE(b->stats().empty_waits, 1u);
}

TEST_F(SegmentBufferTest, ServesBufferedIdsThroughAnOutageThenUnavailableThenRecovers) {
  auto b =
      Make({.step = 10, .backoff_min = absl::Milliseconds(100), .backoff_max = absl::Seconds(1)});
  EXPECT_EQ(*b->TakeOne(), 1u);
  ASSERT_TRUE(WaitUntil([&] { return b->stats().buffered == 19; }));
  store_.SetDown(true);
  std::vector<uint64_t> rest = TakeN(*b, 19);
  EXPECT_EQ(rest.back(), 20u);
  ASSERT_TRUE(WaitUntil([&] { return b->stats().leases_failed >= 1; }));
  absl::StatusOr<uint64_t> refused = b->TakeOne();
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(refused.status().message(), HasSubstr("scripted store is down"));
  EXPECT_THAT(refused.status().message(), HasSubstr("orders"));

  store_.SetDown(false);
  clock_.Advance(absl::Seconds(1));  // past any backoff
  ASSERT_TRUE(WaitUntil([&] { return b->stats().buffered > 0; }));
  EXPECT_EQ(*b->TakeOne(), 21u);
}

TEST_F(SegmentBufferTest, NeverHoldsACallerWhileTheStoreIsFailing) {
  store_.SetDown(true);
  // wait_timeout 0: a caller that waited would get "did not answer within".
  auto b = Make({.backoff_min = absl::Milliseconds(10),
                 .backoff_max = absl::Milliseconds(10),
                 .wait_timeout = absl::ZeroDuration()});
  ASSERT_TRUE(WaitUntil([&] { return b->stats().leases_failed == 1; }));
  store_.SetBlocked(true);  // the retry hangs in the store
  clock_.Advance(absl::Milliseconds(10));
  ASSERT_TRUE(WaitUntil([&] { return store_.lease_calls() == 2; }));
  absl::StatusOr<uint64_t> r = b->TakeOne();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(),
              HasSubstr("cannot lease (scripted store is down); retrying now"));
  store_.SetDown(false);
  store_.SetBlocked(false);
  ASSERT_TRUE(WaitUntil([&] { return b->stats().buffered > 0; }));
  EXPECT_EQ(*b->TakeOne(), 1u);
}

// WouldWait says when Take() would hold its caller: too few IDs and a store
// that answers. Not while enough are buffered, and not while the store
// fails, at the end or after Close() (Take() then answers at once).
TEST_F(SegmentBufferTest, WouldWaitOnlyWhenTooFewAreBufferedAndTheStoreAnswers) {
  store_.SetBlocked(true);  // the first lease hangs: nothing buffered yet
  auto b = Make({.step = 10, .backoff_min = absl::Seconds(10), .backoff_max = absl::Seconds(10)});
  ASSERT_TRUE(WaitUntil([&] { return store_.lease_calls() == 1; }));
  EXPECT_TRUE(b->WouldWait(1));
  store_.SetBlocked(false);
  ASSERT_TRUE(WaitUntil([&] { return b->stats().buffered == 10; }));
  EXPECT_FALSE(b->WouldWait(10));
  EXPECT_TRUE(b->WouldWait(11));

  store_.SetDown(true);
  TakeN(*b, 5);  // half used: the next lease is tried, and fails
  ASSERT_TRUE(WaitUntil([&] { return b->stats().leases_failed == 1; }));
  EXPECT_FALSE(b->WouldWait(6)) << "a failing store is answered at once";
  EXPECT_FALSE(b->WouldWait(5));
  b->Close().IgnoreError();  // the give-back fails: the store is down
  EXPECT_FALSE(b->WouldWait(100)) << "closed";

  store_.SetDown(false);
  auto end = Make({.counter = "tiny", .step = 10, .max_value = 3});
  TakeN(*end, 3);
  ASSERT_EQ(end->TakeOne().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(end->WouldWait(1)) << "at max_value: Take() refuses at once";
}

TEST_F(SegmentBufferTest, BacksOffBetweenFailedLeases) {
  store_.SetDown(true);
  auto b = Make({.backoff_min = absl::Seconds(1), .backoff_max = absl::Seconds(8)});
  // Each failure is awaited before the clock moves: the next try's time is
  // set from the clock when the failure is recorded (on a loaded machine the
  // loader can record it well after the call started).
  ASSERT_TRUE(WaitUntil([&] { return b->stats().leases_failed == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_EQ(store_.lease_calls(), 1);  // the fake clock has not moved
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(WaitUntil([&] { return b->stats().leases_failed == 2; }));
  EXPECT_EQ(store_.lease_calls(), 2);
  clock_.Advance(absl::Seconds(1));  // the second wait is 2 s
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_EQ(store_.lease_calls(), 2);
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(WaitUntil([&] { return store_.lease_calls() == 3; }));
  ASSERT_TRUE(WaitUntil([&] { return b->stats().leases_failed == 3; }));
}

TEST_F(SegmentBufferTest, StepGrowsUnderLoadAndShrinksWhenIdle) {
  auto b = Make({.step = 10,
                 .max_step = 80,
                 .grow_below = absl::Minutes(1),
                 .shrink_above = absl::Minutes(10)});
  // Each round uses up everything buffered, so each round is one lease.
  const auto round = [&](int leases_before, absl::Duration lasted) {
    ASSERT_TRUE(WaitUntil(
        [&] { return store_.lease_calls() == leases_before && b->stats().buffered > 0; }));
    clock_.Advance(lasted);
    TakeN(*b, b->stats().buffered);
  };
  for (int i = 1; i <= 6; ++i) round(i, absl::Seconds(1));
  for (int i = 7; i <= 10; ++i) round(i, absl::Hours(1));
  ASSERT_TRUE(WaitUntil([&] { return store_.lease_calls() == 11; }));
  EXPECT_THAT(store_.steps(), ::testing::ElementsAre(10, 10, 20, 40, 80, 80, 80, 40, 20, 10, 10));
}

TEST_F(SegmentBufferTest, RacingBuffersOnOneCounterNeverOverlap) {
  auto a = Make({.step = 7});
  auto b = Make({.step = 7});
  std::vector<std::vector<uint64_t>> got(8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&, t] {
      SegmentBuffer& buf = t % 2 == 0 ? *a : *b;
      for (int i = 0; i < 200; ++i) {
        std::vector<uint64_t> ids(1 + (i + t) % 13);
        ASSERT_TRUE(buf.Take(absl::MakeSpan(ids)).ok());
        got[t].insert(got[t].end(), ids.begin(), ids.end());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<uint64_t> all;
  size_t total = 0;
  for (const auto& ids : got) {
    for (size_t i = 1; i < ids.size(); ++i) ASSERT_LT(ids[i - 1], ids[i]);
    all.insert(ids.begin(), ids.end());
    total += ids.size();
  }
  EXPECT_EQ(all.size(), total);
}

TEST_F(SegmentBufferTest, ALeaseThatCommittedButWhoseAnswerWasLostIsNeverHandedOut) {
  store_.Queue(ScriptedSegmentStore::Fault::kCommitThenFail);
  auto b = Make(
      {.step = 10, .backoff_min = absl::Milliseconds(10), .backoff_max = absl::Milliseconds(10)});
  ASSERT_TRUE(WaitUntil([&] { return b->stats().leases_failed == 1; }));
  clock_.Advance(absl::Milliseconds(10));
  ASSERT_TRUE(WaitUntil([&] { return b->stats().buffered > 0; }));
  ASSERT_EQ(store_.lost().size(), 1u);
  const SegmentRange lost = store_.lost()[0];
  std::vector<uint64_t> ids = TakeN(*b, 15);
  for (uint64_t id : ids) EXPECT_TRUE(id < lost.first || id >= lost.end) << id;
  EXPECT_EQ(ids.front(), lost.end);
}

TEST_F(SegmentBufferTest, CloseGivesTheUnusedIdsBackSoTheNextBufferHasNoGap) {
  auto a = Make({.step = 10});
  TakeN(*a, 3);
  ASSERT_TRUE(WaitUntil([&] { return a->stats().buffered == 17; }));
  ASSERT_TRUE(a->Close().ok());
  EXPECT_EQ(store_.counter("orders"), 4u);
  EXPECT_EQ(a->TakeOne().status().code(), absl::StatusCode::kUnavailable);
  auto b = Make({.step = 10});
  EXPECT_EQ(*b->TakeOne(), 4u);
}

TEST_F(SegmentBufferTest, GiveBackIsRefusedWhenSomeoneLeasedAfter) {
  auto a = Make({.step = 10});
  EXPECT_EQ(*a->TakeOne(), 1u);
  ASSERT_TRUE(WaitUntil([&] { return a->stats().buffered == 19; }));
  auto b = Make({.step = 10});
  ASSERT_TRUE(WaitUntil([&] { return store_.counter("orders") == 31; }));
  ASSERT_TRUE(a->Close().ok());
  EXPECT_EQ(store_.counter("orders"), 31u);  // a's tail is a gap, never reissued
  ASSERT_TRUE(b->Close().ok());
  EXPECT_EQ(store_.counter("orders"), 21u);
}

TEST_F(SegmentBufferTest, StopsExactlyAtMaxValue) {
  auto b = Make({.step = 10, .max_value = 25});
  std::vector<uint64_t> ids = TakeN(*b, 23);
  EXPECT_EQ(ids.back(), 23u);
  std::vector<uint64_t> five(5);
  absl::Status s = b->Take(absl::MakeSpan(five));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("max_value 25"));
  EXPECT_EQ(*b->TakeOne(), 24u);  // the refused batch took nothing
  EXPECT_EQ(*b->TakeOne(), 25u);
  EXPECT_EQ(b->TakeOne().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_.counter("orders"), 26u);
  EXPECT_TRUE(b->stats().exhausted);
}

TEST_F(SegmentBufferTest, ReportsHeadroomAndTheRateOfTheLastMinute) {
  auto b = Make({.step = 100, .max_value = 1000});
  EXPECT_EQ(b->stats().ids_per_second, 0);
  TakeN(*b, 10);
  EXPECT_EQ(b->stats().headroom_ids, 990u);  // 11..1000
  EXPECT_EQ(b->stats().ids_per_second, 0) << "no second seen yet";
  clock_.Advance(absl::Seconds(2));
  TakeN(*b, 90);
  EXPECT_EQ(b->stats().handed_out, 100u);
  EXPECT_EQ(b->stats().headroom_ids, 900u);
  EXPECT_DOUBLE_EQ(b->stats().ids_per_second, 45.0);  // 90 after the first sample, in 2 s
  // Idle: the rate decays; after a minute's pause the window starts afresh.
  clock_.Advance(absl::Seconds(88));
  EXPECT_DOUBLE_EQ(b->stats().ids_per_second, 1.0);
  TakeN(*b, 10);
  clock_.Advance(absl::Seconds(1));
  TakeN(*b, 10);
  EXPECT_DOUBLE_EQ(b->stats().ids_per_second, 10.0);
}

TEST_F(SegmentBufferTest, HeadroomIsZeroOnceTheCounterIsUsedUp) {
  auto b = Make({.step = 10, .max_value = 15});
  TakeN(*b, 15);
  ASSERT_TRUE(WaitUntil([&] { return b->stats().exhausted; }));
  EXPECT_EQ(b->stats().headroom_ids, 0u);
}

TEST_F(SegmentBufferTest, CreateRefusesBadOptions) {
  for (const SegmentBufferOptions& o :
       {SegmentBufferOptions{.counter = "x", .load_at = 1.0},
        SegmentBufferOptions{.counter = "x", .step = 0},
        SegmentBufferOptions{.counter = "x", .step = 10, .max_step = 5},
        SegmentBufferOptions{.counter = "x", .start = 10, .max_value = 5}}) {
    EXPECT_EQ(SegmentBuffer::Create(o, &store_, &clock_, nullptr).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace idgen::segment
