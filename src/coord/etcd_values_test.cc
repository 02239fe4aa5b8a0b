// Copyright idgen authors.
#include "src/coord/etcd_values.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace idgen::coord {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kPrefix = "/idgen/local/workers/";

TEST(EtcdValuesTest, WorkerIdOfKeyReadsTheDigitsAfterThePrefix) {
  EXPECT_EQ(WorkerIdOfKey("/idgen/local/workers/0", kPrefix), 0);
  EXPECT_EQ(WorkerIdOfKey("/idgen/local/workers/1023", kPrefix), 1023);
}

TEST(EtcdValuesTest, WorkerIdOfKeyIgnoresKeysThatAreNotWorkerIds) {
  EXPECT_EQ(WorkerIdOfKey("/idgen/local/workers/", kPrefix), std::nullopt);
  EXPECT_EQ(WorkerIdOfKey("/idgen/local/workers/+5", kPrefix), std::nullopt);
  EXPECT_EQ(WorkerIdOfKey("/idgen/local/workers/ 5", kPrefix), std::nullopt);
  EXPECT_EQ(WorkerIdOfKey("/idgen/local/workers/-5", kPrefix), std::nullopt);
  EXPECT_EQ(WorkerIdOfKey("/idgen/local/workers/5/x", kPrefix), std::nullopt);
  EXPECT_EQ(WorkerIdOfKey("/idgen/local/workers/9999999999999999999", kPrefix), std::nullopt);
  EXPECT_EQ(WorkerIdOfKey("/idgen/other/workers/5", kPrefix), std::nullopt);
  // Shorter than the prefix: not ours, and no out-of-range substr.
  EXPECT_EQ(WorkerIdOfKey("/idgen", kPrefix), std::nullopt);
}

TEST(EtcdValuesTest, ReservationValueIsNonNegativeMilliseconds) {
  EXPECT_EQ(*ParseReservationValue("k", "0"), 0);
  EXPECT_EQ(*ParseReservationValue("k", "1767225600000"), 1767225600000);
  EXPECT_EQ(ParseReservationValue("k", "-1").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseReservationValue("k", "").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseReservationValue("k", "9223372036854775808").status().code(),
            absl::StatusCode::kDataLoss);
}

// A corrupt value used to go into the message raw: a megabyte of it, or
// control bytes that break a log line.
TEST(EtcdValuesTest, CorruptValueIsQuotedShortAndPrintableInTheMessage) {
  const std::string hostile = "12\n{\"level\":\"info\"}\x1b[2J" + std::string(100'000, 'x');
  for (const absl::Status& s :
       {ParseReservationValue("/idgen/local/reservations/3", hostile).status(),
        ParseCounterValue("/idgen/segments/orders", hostile, 10).status()}) {
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
    EXPECT_LT(s.message().size(), 500u);
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr("\n")));
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr("\x1b")));
    EXPECT_THAT(std::string(s.message()), HasSubstr(absl::StrCat("(", hostile.size(), " bytes)")));
  }
}

TEST(EtcdValuesTest, CounterValueIsAtMostTheLimit) {
  EXPECT_EQ(*ParseCounterValue("k", "10", 10), 10u);
  EXPECT_EQ(ParseCounterValue("k", "11", 10).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseCounterValue("k", "-1", 10).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseCounterValue("k", "ten", 10).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace idgen::coord
