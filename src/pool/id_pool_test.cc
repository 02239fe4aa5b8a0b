// Copyright idgen authors.
//
// IdPool with a scripted Fetch: the test decides when and how each fetch
// completes, so coalescing, prefetch and every failure path are
// deterministic.
#include "src/pool/id_pool.h"

#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace idgen::pool {
namespace {

using ::testing::ElementsAre;

struct PendingCall {
  std::string ns;
  uint32_t count;
  IdPool::FetchDone done;
  CallContext ctx;
};

class IdPoolTest : public ::testing::Test {
 protected:
  IdPool& Make(IdPoolOptions o) {
    pool_ = std::make_unique<IdPool>(
        o,
        [this](const std::string& ns, uint32_t count, const CallContext& ctx,
               IdPool::FetchDone done) {
          if (refuse_) return false;
          calls_.push_back(PendingCall{ns, count, std::move(done), ctx});
          return true;
        },
        &clock_);
    return *pool_;
  }

  // Completes the oldest pending call with `count` fresh increasing IDs.
  void Answer(const std::string& scheme = "snowflake") {
    ASSERT_FALSE(calls_.empty());
    PendingCall c = std::move(calls_.front());
    calls_.pop_front();
    IdBatch b;
    b.ns = c.ns;
    b.scheme = scheme;
    for (uint32_t i = 0; i < c.count; ++i) b.ids.push_back(++next_id_);
    c.done(std::move(b));
  }
  void Fail(absl::StatusCode code, const std::string& msg = "scripted") {
    ASSERT_FALSE(calls_.empty());
    PendingCall c = std::move(calls_.front());
    calls_.pop_front();
    c.done(absl::Status(code, msg));
  }

  // Takes `count` IDs; the result lands in `results_[slot]`.
  bool Take(uint32_t count, const std::string& ns = "default", const CallContext& ctx = {}) {
    const size_t slot = results_.size();
    results_.emplace_back();
    return pool_->Take(ns, count, ctx, [this, slot](IdPool::Result& r) {
      results_[slot] = std::make_unique<IdPool::Result>(std::move(r));
    });
  }
  std::vector<uint64_t> Ids(size_t slot) {
    EXPECT_NE(results_[slot], nullptr) << "request " << slot << " not answered";
    if (results_[slot] == nullptr) return {};
    return results_[slot]->ids.ids;
  }

  FakeClock clock_{absl::FromUnixMillis(1'700'000'000'000)};
  std::unique_ptr<IdPool> pool_;
  std::deque<PendingCall> calls_;
  std::vector<std::unique_ptr<IdPool::Result>> results_;
  uint64_t next_id_ = 100;
  bool refuse_ = false;
};

TEST_F(IdPoolTest, AnIdleRequestGetsItsOwnCallAtOnce) {
  Make({});
  ASSERT_TRUE(Take(3));
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_.front().count, 3u);
  Answer();
  EXPECT_THAT(Ids(0), ElementsAre(101, 102, 103));
  EXPECT_EQ(pool_->stats().namespaces, 0u);  // nothing kept
}

TEST_F(IdPoolTest, RequestsArrivingDuringCallsShareTheNextCall) {
  IdPoolOptions o;
  o.max_calls = 1;
  Make(o);
  ASSERT_TRUE(Take(1));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Take(2));
  ASSERT_EQ(calls_.size(), 1u);  // one call in flight; five requests wait
  Answer();                      // the first request's call
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_.front().count, 10u);  // one call for all five
  Answer();
  std::set<uint64_t> all;
  for (size_t i = 0; i < 6; ++i) {
    std::vector<uint64_t> ids = Ids(i);
    ASSERT_EQ(ids.size(), i == 0 ? 1u : 2u);
    EXPECT_LT(ids.front(), ids.back() + (ids.size() == 1 ? 1 : 0));
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(all.size(), 11u);  // disjoint
  const IdPool::Stats s = pool_->stats();
  EXPECT_EQ(s.calls, 2u);
  EXPECT_EQ(s.requests, 6u);
  EXPECT_EQ(s.waiting, 0u);
}

TEST_F(IdPoolTest, ACallNeverFetchesMoreThanTheCap) {
  IdPoolOptions o;
  o.max_calls = 1;
  o.cap = 4;
  Make(o);
  ASSERT_TRUE(Take(1));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Take(3));
  Answer();
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_.front().count, 4u);  // 9 wanted, capped
  Answer();                             // serves the first waiter (3); 1 left over is too few
  EXPECT_EQ(Ids(1).size(), 3u);
  Answer();
  Answer();
  EXPECT_EQ(Ids(2).size(), 3u);
  EXPECT_EQ(Ids(3).size(), 3u);
  EXPECT_GT(pool_->stats().discarded_unused, 0u);
}

TEST_F(IdPoolTest, LargeRequestsBypassThePool) {
  IdPoolOptions o;
  o.cap = 10;
  Make(o);
  ASSERT_TRUE(Take(11));
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_.front().count, 11u);
  Answer();
  EXPECT_EQ(Ids(0).size(), 11u);
  EXPECT_EQ(pool_->stats().bypassed, 1u);
}

TEST_F(IdPoolTest, AFailedCallAnswersItsWaitersAndTheRestAreFetchedAgain) {
  IdPoolOptions o;
  o.max_calls = 1;
  Make(o);
  ASSERT_TRUE(Take(1));
  ASSERT_TRUE(Take(1));
  ASSERT_TRUE(Take(1));
  Fail(absl::StatusCode::kUnavailable, "node down");  // the first request's call
  ASSERT_NE(results_[0], nullptr);
  EXPECT_EQ(results_[0]->status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(results_[1], nullptr);
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_.front().count, 2u);
  Answer();
  EXPECT_EQ(Ids(1).size(), 1u);
  EXPECT_EQ(Ids(2).size(), 1u);
}

TEST_F(IdPoolTest, UnknownNamespaceErrorsReachEveryRequestAndLeaveNoState) {
  IdPoolOptions o;
  o.max_calls = 1;
  Make(o);
  ASSERT_TRUE(Take(1, "nope"));
  ASSERT_TRUE(Take(1, "nope"));
  Fail(absl::StatusCode::kNotFound, "unknown namespace");
  Fail(absl::StatusCode::kNotFound, "unknown namespace");
  EXPECT_EQ(results_[0]->status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(results_[1]->status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(pool_->stats().namespaces, 0u);
  EXPECT_TRUE(calls_.empty());
}

TEST_F(IdPoolTest, BatchTooLargeForTheNodeHalvesTheCallNotTheRequests) {
  IdPoolOptions o;
  o.max_calls = 1;
  Make(o);
  ASSERT_TRUE(Take(1));
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(Take(1));
  Answer();
  ASSERT_EQ(calls_.front().count, 8u);
  Fail(absl::StatusCode::kResourceExhausted, "count above max_batch 5");
  for (size_t i = 1; i < 9; ++i) EXPECT_EQ(results_[i], nullptr);  // nobody failed
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_.front().count, 4u);
  Answer();
  Answer();
  for (size_t i = 1; i < 9; ++i) EXPECT_EQ(Ids(i).size(), 1u);
}

TEST_F(IdPoolTest, ARequestTooLargeForTheNodeGetsTheError) {
  Make({});
  ASSERT_TRUE(Take(500));
  Fail(absl::StatusCode::kResourceExhausted, "count above max_batch 100");
  ASSERT_NE(results_[0], nullptr);
  EXPECT_EQ(results_[0]->status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(calls_.empty());
}

TEST_F(IdPoolTest, BeyondMaxWaitingTakeRefuses) {
  IdPoolOptions o;
  o.max_waiting = 2;
  Make(o);
  EXPECT_TRUE(Take(1));
  EXPECT_TRUE(Take(1));
  EXPECT_FALSE(Take(1));
  Answer();
  Answer();
  EXPECT_TRUE(Take(1));
}

TEST_F(IdPoolTest, WhenNoFetchCanStartRequestsAreToldOverloaded) {
  Make({});
  refuse_ = true;
  ASSERT_TRUE(Take(1));
  ASSERT_NE(results_[0], nullptr);
  EXPECT_TRUE(results_[0]->overloaded);
  EXPECT_EQ(pool_->stats().namespaces, 0u);
}

TEST_F(IdPoolTest, WhenACallCannotStartNoRequestIsLeftWaitingWithoutOne) {
  IdPoolOptions o;
  o.max_calls = 1;
  o.cap = 2;
  Make(o);
  ASSERT_TRUE(Take(1));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(Take(1));
  refuse_ = true;
  Answer();  // the next call (2 of the 4 waiting) cannot start
  for (size_t i = 1; i < 5; ++i) {
    ASSERT_NE(results_[i], nullptr) << i;
    EXPECT_TRUE(results_[i]->overloaded) << i;
  }
  EXPECT_EQ(pool_->stats().waiting, 0u);
  EXPECT_EQ(pool_->stats().namespaces, 0u);
}

TEST_F(IdPoolTest, CloseAnswersWaitingRequestsAndLaterOnesAtOnce) {
  IdPoolOptions o;
  o.max_calls = 1;
  o.prefetch = 10;
  Make(o);
  ASSERT_TRUE(Take(1));
  ASSERT_TRUE(Take(1));
  pool_->Close(absl::UnavailableError("the pool is closing"));
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_NE(results_[i], nullptr);
    EXPECT_EQ(results_[i]->status.code(), absl::StatusCode::kUnavailable);
  }
  Answer();  // the call in flight ends: its IDs are dropped, nothing new starts
  EXPECT_TRUE(calls_.empty());
  ASSERT_TRUE(Take(1));
  ASSERT_NE(results_[2], nullptr);
  EXPECT_EQ(results_[2]->status.message(), "the pool is closing");
  EXPECT_EQ(pool_->stats().namespaces, 0u);
}

TEST_F(IdPoolTest, IdsOf128BitSchemesAreSlicedToo) {
  IdPoolOptions o;
  o.max_calls = 1;
  Make(o);
  ASSERT_TRUE(Take(1, "ulid"));
  ASSERT_TRUE(Take(2, "ulid"));
  PendingCall first = std::move(calls_.front());
  calls_.pop_front();
  IdBatch r;
  r.scheme = "ulid";
  r.ids128.emplace_back(16, 'a');
  first.done(std::move(r));
  PendingCall second = std::move(calls_.front());
  calls_.pop_front();
  ASSERT_EQ(second.count, 2u);
  IdBatch r2;
  r2.scheme = "ulid";
  r2.ids128.emplace_back(16, 'b');
  r2.ids128.emplace_back(16, 'c');
  second.done(std::move(r2));
  EXPECT_THAT(results_[0]->ids.ids128, ElementsAre(std::string(16, 'a')));
  EXPECT_THAT(results_[1]->ids.ids128, ElementsAre(std::string(16, 'b'), std::string(16, 'c')));
}

TEST_F(IdPoolTest, PrefetchKeepsIdsReadyAndAnswersWithoutACall) {
  IdPoolOptions o;
  o.prefetch = 10;
  o.max_calls = 1;
  Make(o);
  ASSERT_TRUE(Take(1));
  Answer();  // learns "snowflake"; refill starts
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_.front().count, 10u);
  Answer();
  EXPECT_EQ(pool_->stats().ready, 10u);
  ASSERT_TRUE(Take(3));
  EXPECT_THAT(Ids(1), ElementsAre(102, 103, 104));  // at once, no call
  EXPECT_TRUE(calls_.empty());                      // 7 left: above half
  ASSERT_TRUE(Take(3));
  EXPECT_EQ(Ids(2).size(), 3u);
  ASSERT_EQ(calls_.size(), 1u);  // 4 left: below half, refill
  EXPECT_EQ(calls_.front().count, 6u);
}

TEST_F(IdPoolTest, PrefetchedIdsOlderThanMaxAgeAreDropped) {
  IdPoolOptions o;
  o.prefetch = 10;
  o.max_calls = 1;
  o.max_age = absl::Milliseconds(500);
  Make(o);
  ASSERT_TRUE(Take(1));
  Answer();
  Answer();
  clock_.Advance(absl::Milliseconds(501));
  ASSERT_TRUE(Take(1));
  EXPECT_EQ(results_[1], nullptr);  // the ready IDs aged out: a fresh call
  EXPECT_EQ(pool_->stats().discarded_stale, 10u);
  ASSERT_FALSE(calls_.empty());
  Answer();
  EXPECT_THAT(Ids(1), ElementsAre(112));
}

TEST_F(IdPoolTest, TryTakeReadyTakesReadyIdsInOrderAndStartsTheRefill) {
  IdPoolOptions o;
  o.prefetch = 10;
  o.max_calls = 1;
  o.max_age = absl::Milliseconds(500);
  Make(o);
  uint64_t out[4] = {};
  EXPECT_FALSE(pool_->TryTakeReady("default", 1, out));  // nothing ready: no call either
  EXPECT_TRUE(calls_.empty());
  ASSERT_TRUE(Take(1));
  Answer();
  Answer();  // 10 ready: 102..111
  ASSERT_TRUE(pool_->TryTakeReady("default", 3, out));
  EXPECT_THAT(std::vector<uint64_t>(out, out + 3), ElementsAre(102, 103, 104));
  EXPECT_TRUE(calls_.empty());  // 7 left: above half
  ASSERT_TRUE(pool_->TryTakeReady("default", 3, out));
  EXPECT_THAT(std::vector<uint64_t>(out, out + 3), ElementsAre(105, 106, 107));
  ASSERT_EQ(calls_.size(), 1u);                          // 4 left: below half, refill
  EXPECT_FALSE(pool_->TryTakeReady("default", 5, out));  // more than the block holds
  EXPECT_FALSE(pool_->TryTakeReady("other", 1, out));
  EXPECT_EQ(pool_->stats().requests, 3u);  // the first Take and the two fast ones
  // A waiting request comes first.
  ASSERT_TRUE(Take(5));
  EXPECT_FALSE(pool_->TryTakeReady("default", 1, out));
  Answer();
  EXPECT_EQ(Ids(1).size(), 5u);
  // Aged IDs are dropped, not handed out.
  clock_.Advance(absl::Milliseconds(501));
  EXPECT_FALSE(pool_->TryTakeReady("default", 1, out));
  EXPECT_GT(pool_->stats().discarded_stale, 0u);
}

TEST_F(IdPoolTest, PrefetchIsOnlyForSnowflakeAndPausesAfterAFailure) {
  IdPoolOptions o;
  o.prefetch = 10;
  Make(o);
  ASSERT_TRUE(Take(1, "u"));
  Answer("uuidv7");
  EXPECT_TRUE(calls_.empty());  // no refill for a 128-bit scheme
  EXPECT_EQ(pool_->stats().namespaces, 0u);
  ASSERT_TRUE(Take(1));
  Answer();  // snowflake: refill starts
  ASSERT_EQ(calls_.size(), 1u);
  Fail(absl::StatusCode::kUnavailable);
  EXPECT_TRUE(calls_.empty());  // no stream of refills against a dead source
}

TEST_F(IdPoolTest, TheFetchGetsTheContextOfTheRequestItServes) {
  IdPoolOptions o;
  o.max_calls = 1;
  Make(o);
  ASSERT_TRUE(Take(1, "default", CallContext::Of(std::string("first"))));
  ASSERT_TRUE(Take(1, "default", CallContext::Of(std::string("second"))));
  ASSERT_TRUE(Take(1, "default", CallContext::Of(std::string("third"))));
  ASSERT_EQ(calls_.size(), 1u);
  ASSERT_NE(calls_.front().ctx.Get<std::string>(), nullptr);
  EXPECT_EQ(*calls_.front().ctx.Get<std::string>(), "first");
  Answer();
  ASSERT_EQ(calls_.size(), 1u);  // coalesced: the first waiting request's context
  ASSERT_NE(calls_.front().ctx.Get<std::string>(), nullptr);
  EXPECT_EQ(*calls_.front().ctx.Get<std::string>(), "second");
  Answer();
}

TEST_F(IdPoolTest, NoIdIsHandedOutTwiceAcrossRefillsAndDrops) {
  IdPoolOptions o;
  o.prefetch = 8;
  o.max_calls = 2;
  o.max_age = absl::Milliseconds(100);
  Make(o);
  std::set<uint64_t> seen;
  size_t answered = 0;
  for (int round = 0; round < 200; ++round) {
    ASSERT_TRUE(Take(static_cast<uint32_t>(1 + round % 5)));
    if (round % 3 == 0 && !calls_.empty()) Answer();
    if (round % 17 == 0) clock_.Advance(absl::Milliseconds(60));
    for (; answered < results_.size() && results_[answered] != nullptr; ++answered) {
      for (uint64_t id : results_[answered]->ids.ids) EXPECT_TRUE(seen.insert(id).second) << id;
    }
  }
  for (int i = 0; i < 1000 && !calls_.empty(); ++i) Answer();
  EXPECT_TRUE(calls_.empty());
  for (; answered < results_.size(); ++answered) {
    ASSERT_NE(results_[answered], nullptr) << answered;
    for (uint64_t id : results_[answered]->ids.ids) EXPECT_TRUE(seen.insert(id).second) << id;
  }
}

TEST(CallContextTest, CarriesOneValueOfOneType) {
  EXPECT_TRUE(CallContext().empty());
  EXPECT_EQ(CallContext().Get<int>(), nullptr);
  const CallContext ctx = CallContext::Of(42);
  EXPECT_FALSE(ctx.empty());
  ASSERT_NE(ctx.Get<int>(), nullptr);
  EXPECT_EQ(*ctx.Get<int>(), 42);
  EXPECT_EQ(ctx.Get<std::string>(), nullptr);
  CallContext copy = ctx;
  EXPECT_EQ(*copy.Get<int>(), 42);
  copy = CallContext();  // dropping a copy leaves the others
  EXPECT_TRUE(copy.empty());
  EXPECT_EQ(*ctx.Get<int>(), 42);
  EXPECT_EQ(CallContext::Of(std::string("x")).Get<const char*>(), nullptr);
}

}  // namespace
}  // namespace idgen::pool
