// Copyright idgen authors.
//
// The client's IdPool over fakes: uniqueness and per-thread order under
// many threads, refills of `batch` IDs, no refill storm while the source
// fails, max_age, and destruction with a refill in flight.
#include "idgen/client/id_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "idgen/client/client.h"
#include "idgen/client/testing/fake_connection.h"

namespace idgen::client {
namespace {

using namespace std::chrono_literals;
using testing::FakeConnection;

TEST(IdPoolTest, ManyThreadsGetUniqueIdsEachInIncreasingOrder) {
  auto fake = std::make_shared<FakeConnection>();
  Client client(fake);
  StatusOr<IdPool> pool = client.Pool("orders", {.batch = 1000, .low_water = 200});
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  constexpr int kThreads = 16;
  constexpr int kEach = 50000;
  std::vector<std::vector<uint64_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      got[t].reserve(kEach);
      for (int i = 0; i < kEach; ++i) {
        StatusOr<uint64_t> id = pool->Next();
        ASSERT_TRUE(id.ok()) << id.status().ToString();
        got[t].push_back(*id);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::unordered_set<uint64_t> all;
  for (const auto& ids : got) {
    for (size_t i = 1; i < ids.size(); ++i) ASSERT_LT(ids[i - 1], ids[i]);
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(all.size(), size_t{kThreads} * kEach);
  const PoolStats stats = pool->Stats();
  // Every refill but the first (made before the pool knew the scheme, for
  // the first request alone) fetched one whole batch.
  EXPECT_EQ(fake->issued(), (stats.refills - 1) * 1000 + 1);
  EXPECT_LE(fake->issued() - all.size(), 2000u + stats.dropped_unused);
  EXPECT_EQ(stats.refill_failures, 0u);
}

TEST(IdPoolTest, NextOfManyIsOneIncreasingSlice) {
  Client client(std::make_shared<FakeConnection>());
  StatusOr<IdPool> pool = client.Pool("orders", {.batch = 100, .low_water = 10});
  ASSERT_TRUE(pool.ok());
  StatusOr<std::vector<uint64_t>> ids = pool->Next(40);
  ASSERT_TRUE(ids.ok());
  ASSERT_EQ(ids->size(), 40u);
  for (size_t i = 1; i < ids->size(); ++i) EXPECT_EQ((*ids)[i], (*ids)[i - 1] + 1);
  EXPECT_EQ(pool->Next(0).status().code(), StatusCode::kInvalidArgument);
}

TEST(IdPoolTest, AFailingSourceGetsFewCallsAndItsErrorIsReturned) {
  auto fake = std::make_shared<FakeConnection>();
  Client client(fake);
  StatusOr<IdPool> pool = client.Pool("orders", {.batch = 100, .low_water = 10});
  ASSERT_TRUE(pool.ok());
  fake->SetFailure({StatusCode::kUnavailable, "node down"});
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  const auto end = std::chrono::steady_clock::now() + 300ms;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1'000'000 && std::chrono::steady_clock::now() < end; ++i) {
        StatusOr<uint64_t> id = pool->Next();
        if (!id.ok()) {
          EXPECT_EQ(id.status(), Status(StatusCode::kUnavailable, "node down"));
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_GT(failures.load(), 100);
  // Backoff 20, 40, 80, 160 ms...: a handful of calls in 300 ms.
  EXPECT_LE(fake->calls(), 8) << "refill storm";
  EXPECT_GE(pool->Stats().refill_failures, 2u);
  fake->SetFailure({});
  StatusOr<uint64_t> back = Status(StatusCode::kUnknown, "not yet");
  for (int i = 0; i < 100 && !back.ok(); ++i) {
    back = pool->Next();
    if (!back.ok()) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(back.ok()) << back.status().ToString();
}

TEST(IdPoolTest, IdsOlderThanMaxAgeAreDropped) {
  auto fake = std::make_shared<FakeConnection>();
  Client client(fake);
  StatusOr<IdPool> pool = client.Pool("orders", {.batch = 100, .low_water = 10, .max_age = 30ms});
  ASSERT_TRUE(pool.ok());
  StatusOr<uint64_t> first = pool->Next();
  ASSERT_TRUE(first.ok());
  std::this_thread::sleep_for(80ms);
  StatusOr<uint64_t> later = pool->Next();
  ASSERT_TRUE(later.ok());
  EXPECT_GE(*later, 101u) << "an ID from the stale batch was handed out";
  EXPECT_GE(pool->Stats().dropped_stale, 99u);
}

// Answers NextIdsAsync from another thread after `delay`.
class SlowConnection : public FakeConnection {
 public:
  explicit SlowConnection(std::chrono::milliseconds delay) : delay_(delay) {}
  ~SlowConnection() override {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& t : threads_) t.join();
  }
  void NextIdsAsync(const std::string& ns, uint32_t count, const CallOptions& options,
                    std::function<void(StatusOr<IdBlock>)> done) override {
    std::lock_guard<std::mutex> lock(mu_);
    threads_.emplace_back([this, ns, count, options, done = std::move(done)] {
      std::this_thread::sleep_for(delay_);
      done(NextIds(ns, count, options));
    });
  }

 private:
  const std::chrono::milliseconds delay_;
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

TEST(IdPoolTest, WaitIsBoundedAndDestructionWaitsForTheRefillInFlight) {
  auto slow = std::make_shared<SlowConnection>(150ms);
  {
    Client client(slow);
    StatusOr<IdPool> pool = client.Pool("orders", {.batch = 10, .low_water = 2, .wait = 20ms});
    ASSERT_TRUE(pool.ok());
    const auto t0 = std::chrono::steady_clock::now();
    StatusOr<uint64_t> id = pool->Next();
    EXPECT_EQ(id.status().code(), StatusCode::kDeadlineExceeded);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 140ms);
  }  // the pool goes while its refill is still running
  EXPECT_EQ(slow->calls(), 1);
}

// A source of 128-bit IDs: a pool cannot serve it.
class WideConnection : public FakeConnection {
 public:
  StatusOr<IdBlock> NextIds(const std::string& ns, uint32_t, const CallOptions&) override {
    return IdBlock{ns, "uuidv7", {}};
  }
};

TEST(IdPoolTest, PoolsServe64BitSchemesOnlyAndCheckTheirOptions) {
  Client client(std::make_shared<WideConnection>());
  StatusOr<IdPool> pool = client.Pool("events");
  ASSERT_TRUE(pool.ok());
  StatusOr<uint64_t> id = pool->Next();
  EXPECT_EQ(id.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(id.status().message().find("uuidv7"), std::string::npos);
  EXPECT_EQ(client.Pool("x", {.batch = 0}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(client.Pool("x", {.batch = 10, .low_water = 11}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(client.Pool("x", {.wait = 0ms}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace idgen::client
