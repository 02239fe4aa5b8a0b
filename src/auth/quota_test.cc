// Copyright idgen authors.
#include "src/auth/quota.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "idgen/clock.h"

namespace idgen::auth {
namespace {

using ::testing::HasSubstr;

Principal Caller(const std::string& name, double rate, double burst) {
  Principal p;
  p.name = name;
  p.ids_per_second = rate;
  p.burst = burst;
  return p;
}

class QuotaTest : public ::testing::Test {
 protected:
  FakeClock clock_{absl::FromUnixSeconds(1'700'000'000)};
};

TEST_F(QuotaTest, ExactlyBurstThenRefusedWithTheWait) {
  Quota quota({}, &clock_);
  const Principal p = Caller("orders", 10, 5);
  CallerState* c = quota.Caller(p);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(quota.Take(c, p, 1).admitted) << i;
  const Quota::Decision d = quota.Take(c, p, 1);
  EXPECT_FALSE(d.admitted);
  EXPECT_FALSE(d.global);
  EXPECT_EQ(d.retry_after, absl::Milliseconds(100));  // 1 ID at 10/s
  EXPECT_THAT(d.message, HasSubstr("caller \"orders\" is over its quota of 10 IDs/s (burst 5)"));
  EXPECT_EQ(d.limit, 5);
  EXPECT_LT(d.remaining, 1);
  clock_.Advance(absl::Milliseconds(100));
  EXPECT_TRUE(quota.Take(c, p, 1).admitted);
}

TEST_F(QuotaTest, ARequestCostsItsIds) {
  Quota quota({}, &clock_);
  const Principal p = Caller("bulk", 1000, 1000);
  CallerState* c = quota.Caller(p);
  EXPECT_TRUE(quota.Take(c, p, 600).admitted);
  const Quota::Decision d = quota.Take(c, p, 600);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.retry_after, absl::Milliseconds(200));
  EXPECT_TRUE(quota.Take(c, p, 400).admitted);
}

TEST_F(QuotaTest, MoreThanTheBurstIsRefusedAtOnceNotStarved) {
  Quota quota({}, &clock_);
  const Principal p = Caller("small", 10, 10);
  const Quota::Decision d = quota.Take(quota.Caller(p), p, 11);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.retry_after, absl::ZeroDuration());
  EXPECT_THAT(d.message, HasSubstr("a request for 11 IDs is more than caller \"small\" may take "
                                   "at once (burst 10)"));
}

TEST_F(QuotaTest, CallersDoNotShareBuckets) {
  Quota quota({}, &clock_);
  const Principal a = Caller("a", 1, 1);
  const Principal b = Caller("b", 1, 1);
  EXPECT_TRUE(quota.Take(quota.Caller(a), a, 1).admitted);
  EXPECT_FALSE(quota.Take(quota.Caller(a), a, 1).admitted);
  EXPECT_TRUE(quota.Take(quota.Caller(b), b, 1).admitted);
}

TEST_F(QuotaTest, ProcessLimitAppliesToEveryoneAndChargesNoCallerOnRefusal) {
  Quota quota({.max_ids_per_second = 100, .max_burst = 100}, &clock_);
  const Principal a = Caller("a", 1000, 1000);
  const Principal anon = AnonymousPrincipal();
  EXPECT_FALSE(quota.unlimited());
  EXPECT_TRUE(quota.Take(quota.Caller(anon), anon, 100).admitted);
  const Quota::Decision d = quota.Take(quota.Caller(a), a, 50);
  EXPECT_FALSE(d.admitted);
  EXPECT_TRUE(d.global);
  EXPECT_EQ(d.retry_after, absl::Milliseconds(500));
  EXPECT_THAT(d.message, HasSubstr("--max-ids-per-second"));
  clock_.Advance(absl::Seconds(1));
  const Quota::Decision ok = quota.Take(quota.Caller(a), a, 100);
  EXPECT_TRUE(ok.admitted);
  EXPECT_EQ(ok.remaining, 900);  // a's bucket was not charged for the refusal
}

TEST_F(QuotaTest, CountsIssuedAndRejectedAndRefunds) {
  Quota quota({}, &clock_);
  const Principal p = Caller("orders", 10, 10);
  CallerState* c = quota.Caller(p);
  EXPECT_TRUE(quota.Take(c, p, 7).admitted);
  EXPECT_FALSE(quota.Take(c, p, 7).admitted);
  quota.Refund(c, 7);  // the backend failed: the IDs were not issued
  EXPECT_TRUE(quota.Take(c, p, 7).admitted);
  const auto counts = quota.Counts();
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].name, "orders");
  EXPECT_EQ(counts[0].issued, 7u);
  EXPECT_EQ(counts[0].rejected, 1u);
}

TEST_F(QuotaTest, CallerMapIsBounded) {
  Quota quota({.max_callers = 2}, &clock_);
  const Principal a = Caller("a", 0, 0);
  const Principal b = Caller("b", 0, 0);
  const Principal c = Caller("c", 0, 0);
  const Principal d = Caller("d", 0, 0);
  quota.Caller(a);
  quota.Caller(b);
  EXPECT_EQ(quota.Caller(c)->name, "other");
  EXPECT_EQ(quota.Caller(d), quota.Caller(c));
  EXPECT_EQ(quota.Counts().size(), 3u);
}

TEST_F(QuotaTest, ChangedLimitsAreAdopted) {
  Quota quota({}, &clock_);
  Principal p = Caller("orders", 10, 10);
  CallerState* c = quota.Caller(p);
  EXPECT_TRUE(quota.Take(c, p, 10).admitted);
  p.burst = 20;
  p.ids_per_second = 20;
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(quota.Take(c, p, 20).admitted);
}

}  // namespace
}  // namespace idgen::auth
