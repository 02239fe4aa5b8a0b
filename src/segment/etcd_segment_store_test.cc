// Copyright idgen authors.
#include "src/segment/etcd_segment_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "src/coord/testing/etcd_process.h"

namespace idgen::segment {
namespace {

using ::testing::HasSubstr;

constexpr const char* kPrefix = "/idgen/test/segments/";

class EtcdSegmentStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto etcd = coord::testing::EtcdProcess::Create();
    if (!etcd.ok()) {
      start_error_ = new std::string(etcd.status().ToString());
      return;
    }
    etcd_ = etcd->release();
  }
  static void TearDownTestSuite() {
    delete etcd_;
    etcd_ = nullptr;
  }
  void SetUp() override {
    // etcd is a test dependency (scripts/setup.sh installs it): without it
    // these tests fail, they do not pass by skipping.
    ASSERT_NE(etcd_, nullptr) << "etcd did not start: " << *start_error_;
    if (!etcd_->running()) {
      ASSERT_TRUE(etcd_->Start().ok());
    }
  }
  static std::unique_ptr<EtcdSegmentStore> Store() {
    coord::EtcdClient::Options o;
    o.call_timeout = absl::Milliseconds(500);
    auto client = coord::EtcdClient::Create({etcd_->endpoint()}, o);
    EXPECT_TRUE(client.ok()) << client.status();
    return std::make_unique<EtcdSegmentStore>(
        std::shared_ptr<coord::EtcdClient>(*std::move(client)), kPrefix);
  }
  static std::string Counter() {
    return ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  static inline coord::testing::EtcdProcess* etcd_ = nullptr;
  static inline std::string* start_error_ = nullptr;
};

TEST_F(EtcdSegmentStoreTest, LeasesConsecutiveRangesUnderThePrefix) {
  auto s = Store();
  EXPECT_EQ(*s->Lease(Counter(), 1, 100, 1'000'000), (SegmentRange{1, 101}));
  EXPECT_EQ(*s->Lease(Counter(), 1, 50, 1'000'000), (SegmentRange{101, 151}));
  EXPECT_EQ(s->Key(Counter()), std::string(kPrefix) + Counter());
}

TEST_F(EtcdSegmentStoreTest, ClipsAtMaxValueThenRefuses) {
  auto s = Store();
  EXPECT_EQ(*s->Lease(Counter(), 5, 10, 12), (SegmentRange{5, 13}));
  EXPECT_EQ(s->Lease(Counter(), 5, 10, 12).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(EtcdSegmentStoreTest, GiveBackIsACompareAndSet) {
  auto s = Store();
  const SegmentRange a = *s->Lease(Counter(), 1, 10, 100);
  const SegmentRange b = *s->Lease(Counter(), 1, 10, 100);
  EXPECT_FALSE(*s->GiveBack(Counter(), {5, a.end}));
  EXPECT_TRUE(*s->GiveBack(Counter(), {15, b.end}));
  EXPECT_EQ(*s->Lease(Counter(), 1, 10, 100), (SegmentRange{15, 25}));
}

TEST_F(EtcdSegmentStoreTest, ClientsRacingOnOneCounterNeverOverlap) {
  std::vector<std::unique_ptr<EtcdSegmentStore>> stores;
  for (int i = 0; i < 3; ++i) stores.push_back(Store());
  const std::string counter = Counter();
  std::vector<std::vector<SegmentRange>> got(6);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 30; ++i) {
        // ABORTED (every round lost to the others) is "try again", as the
        // segment buffer does; anything else is a failure.
        absl::StatusOr<SegmentRange> r = stores[t % 3]->Lease(counter, 1, 7, 1'000'000);
        for (int again = 0; again < 10 && r.status().code() == absl::StatusCode::kAborted;
             ++again) {
          r = stores[t % 3]->Lease(counter, 1, 7, 1'000'000);
        }
        ASSERT_TRUE(r.ok()) << r.status();
        got[t].push_back(*r);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<uint64_t> ids;
  for (const auto& ranges : got) {
    for (const SegmentRange& r : ranges) {
      for (uint64_t v = r.first; v < r.end; ++v) ASSERT_TRUE(ids.insert(v).second) << v;
    }
  }
  EXPECT_EQ(ids.size(), 6u * 30 * 7);
  EXPECT_EQ(*ids.rbegin(), ids.size());
}

TEST_F(EtcdSegmentStoreTest, OutageIsAnErrorAndLeasingResumesWhenEtcdReturns) {
  auto s = Store();
  ASSERT_TRUE(s->Lease(Counter(), 1, 10, 100).ok());
  ASSERT_TRUE(etcd_->Stop().ok());
  absl::StatusOr<SegmentRange> down = s->Lease(Counter(), 1, 10, 100);
  EXPECT_FALSE(down.ok());
  EXPECT_NE(down.status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(etcd_->Start().ok());
  absl::StatusOr<SegmentRange> back = absl::UnavailableError("not tried");
  for (int i = 0; i < 50 && !back.ok(); ++i) {
    back = s->Lease(Counter(), 1, 10, 100);
    if (!back.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->first, 11u);
}

TEST_F(EtcdSegmentStoreTest, AValueThatIsNotACounterIsDataLoss) {
  auto s = Store();
  coord::EtcdClient::Options o;
  auto client = coord::EtcdClient::Create({etcd_->endpoint()}, o);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Put(s->Key(Counter()), "banana").ok());
  absl::StatusOr<SegmentRange> r = s->Lease(Counter(), 1, 10, 100);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr("banana"));
}

}  // namespace
}  // namespace idgen::segment
