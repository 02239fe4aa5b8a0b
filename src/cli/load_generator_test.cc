// Copyright idgen authors.
//
// Tests of the pure parts of the load generator: the latency histogram, the
// duplicate and order checks, and flag validation.
#include "src/cli/load_generator.h"

#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace idgen::cli {
namespace {

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  for (uint64_t v = 0; v < 128; ++v) {
    EXPECT_EQ(LatencyHistogram::BucketOf(v), v);
    EXPECT_EQ(LatencyHistogram::BucketLow(v), v);
    EXPECT_EQ(LatencyHistogram::BucketHigh(v), v);
  }
}

TEST(LatencyHistogramTest, BucketsTileTheRangeWithoutGaps) {
  for (size_t b = 0; b + 1 < LatencyHistogram::kBuckets; ++b) {
    ASSERT_EQ(LatencyHistogram::BucketHigh(b) + 1, LatencyHistogram::BucketLow(b + 1)) << b;
    ASSERT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::BucketLow(b)), b);
    ASSERT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::BucketHigh(b)), b);
  }
  EXPECT_EQ(LatencyHistogram::BucketOf(UINT64_MAX), LatencyHistogram::kBuckets - 1);
  EXPECT_EQ(LatencyHistogram::BucketHigh(LatencyHistogram::kBuckets - 1), UINT64_MAX);
}

TEST(LatencyHistogramTest, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.Quantile(0.5), 0u);
  EXPECT_EQ(h.Mean(), 0);
}

TEST(LatencyHistogramTest, QuantilesOfUniformValuesAreWithinOnePercent) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.Record(v * 10);  // 10 ns .. 1 ms
  auto near = [](uint64_t got, double want) {
    return std::abs(static_cast<double>(got) - want) <= want * 0.01;
  };
  EXPECT_TRUE(near(h.Quantile(0.5), 500000)) << h.Quantile(0.5);
  EXPECT_TRUE(near(h.Quantile(0.99), 990000)) << h.Quantile(0.99);
  EXPECT_TRUE(near(h.Quantile(0.999), 999000)) << h.Quantile(0.999);
  EXPECT_EQ(h.Quantile(1.0), 1000000u);
  EXPECT_EQ(h.max(), 1000000u);
  EXPECT_NEAR(h.Mean(), 500005, 1);
}

TEST(LatencyHistogramTest, QuantileIsRankBased) {
  LatencyHistogram h;
  for (int i = 0; i < 99; ++i) h.Record(100);
  h.Record(1'000'000);  // one outlier in a hundred
  EXPECT_EQ(h.Quantile(0.99), 100u);
  EXPECT_EQ(h.Quantile(0.999), 1'000'000u);  // clamped to the max recorded
}

TEST(LatencyHistogramTest, MergeAddsCounts) {
  LatencyHistogram a, b;
  for (int i = 0; i < 50; ++i) a.Record(10);
  for (int i = 0; i < 50; ++i) b.Record(20);
  a.Merge(b);
  EXPECT_EQ(a.count(), 100u);
  EXPECT_EQ(a.Quantile(0.5), 10u);
  EXPECT_EQ(a.Quantile(0.51), 20u);
  EXPECT_EQ(a.max(), 20u);
}

TEST(OrderCheckerTest, CountsEveryNonIncreasingStep) {
  OrderChecker<uint64_t> c;
  for (uint64_t v : {1, 2, 5, 5, 3, 4, 9}) c.Observe(v);
  EXPECT_EQ(c.violations(), 2u);  // 5 after 5, 3 after 5
}

TEST(OrderCheckerTest, ComparesId128Numerically) {
  OrderChecker<Id128> c;
  Id128 a{}, b{};
  a[15] = 0xFF;  // 255
  b[14] = 0x01;  // 256
  c.Observe(a);
  c.Observe(b);
  EXPECT_EQ(c.violations(), 0u);
  c.Observe(a);
  EXPECT_EQ(c.violations(), 1u);
}

TEST(CountDuplicatesTest, NoneInDisjointSequences) {
  std::vector<std::vector<uint64_t>> s = {{1, 4, 7}, {2, 5, 8}, {3, 6, 9}, {}};
  EXPECT_EQ(CountDuplicates(s), 0u);
}

TEST(CountDuplicatesTest, FindsDuplicatesAcrossAndWithinSequences) {
  std::vector<std::vector<uint64_t>> s = {{1, 2, 3}, {3, 4}, {9, 9, 9}, {2}};
  // 3 twice (+1), 9 three times (+2), 2 twice (+1).
  EXPECT_EQ(CountDuplicates(s), 4u);
}

TEST(CountDuplicatesTest, SortsUnsortedSequences) {
  std::vector<uint64_t> all(10000);
  for (uint64_t i = 0; i < all.size(); ++i) all[i] = i * 7919;
  std::mt19937_64 rng(42);
  std::shuffle(all.begin(), all.end(), rng);
  std::vector<std::vector<uint64_t>> s(3);
  for (size_t i = 0; i < all.size(); ++i) s[i % 3].push_back(all[i]);
  EXPECT_EQ(CountDuplicates(s), 0u);
  s[1].push_back(all[5]);
  EXPECT_EQ(CountDuplicates(s), 1u);
}

TEST(CountDuplicatesTest, Works128Bit) {
  Id128 a{}, b{}, c{};
  a[0] = 1;
  b[15] = 1;
  c[0] = 1;  // equals a
  std::vector<std::vector<Id128>> s = {{a, b}, {c}};
  EXPECT_EQ(CountDuplicates(s), 1u);
}

LoadConfig Valid() {
  LoadConfig c;
  c.target = "127.0.0.1:50051";
  return c;
}

TEST(ValidateLoadConfigTest, AcceptsDefaults) { EXPECT_TRUE(ValidateLoadConfig(Valid()).ok()); }

TEST(ValidateLoadConfigTest, RejectsBadFlags) {
  auto rejected = [](void (*edit)(LoadConfig&)) {
    LoadConfig c = Valid();
    edit(c);
    return ValidateLoadConfig(c).code() == absl::StatusCode::kInvalidArgument;
  };
  EXPECT_TRUE(rejected([](LoadConfig& c) { c.count = 0; }));
  EXPECT_TRUE(rejected([](LoadConfig& c) {
    c.mode = BenchMode::kUnary;
    c.count = 2;
  }));
  EXPECT_TRUE(rejected([](LoadConfig& c) { c.concurrency = 0; }));
  EXPECT_TRUE(rejected([](LoadConfig& c) { c.duration_s = 0; }));
  EXPECT_TRUE(rejected([](LoadConfig& c) { c.duration_s = 3601; }));
  EXPECT_TRUE(rejected([](LoadConfig& c) { c.rate = -1; }));
  EXPECT_TRUE(rejected([](LoadConfig& c) {
    c.mode = BenchMode::kBatch;
    c.pipeline = 2;
  }));
  EXPECT_TRUE(rejected([](LoadConfig& c) { c.target = "localhost"; }));
  EXPECT_TRUE(rejected([](LoadConfig& c) { c.connections = 2; }));  // > concurrency
  EXPECT_TRUE(rejected([](LoadConfig& c) { c.connections = 0; }));
}

TEST(ValidateTargetTest, AcceptsAndRejects) {
  EXPECT_TRUE(ValidateTarget("localhost:1").ok());
  EXPECT_TRUE(ValidateTarget("[::1]:50051").ok());
  EXPECT_TRUE(ValidateTarget("dns:///idgen:50051").ok());
  EXPECT_TRUE(ValidateTarget("unix:/tmp/idgen.sock").ok());
  EXPECT_FALSE(ValidateTarget("").ok());
  EXPECT_FALSE(ValidateTarget(":50051").ok());
  EXPECT_FALSE(ValidateTarget("host:").ok());
  EXPECT_FALSE(ValidateTarget("host:0").ok());
  EXPECT_FALSE(ValidateTarget("host:65536").ok());
  EXPECT_FALSE(ValidateTarget("host:http").ok());
  EXPECT_FALSE(ValidateTarget("::1:50051").ok());
}

TEST(ParseBenchModeTest, KnowsTheThreeModes) {
  EXPECT_EQ(*ParseBenchMode("unary"), BenchMode::kUnary);
  EXPECT_EQ(*ParseBenchMode("batch"), BenchMode::kBatch);
  EXPECT_EQ(*ParseBenchMode("stream"), BenchMode::kStream);
  EXPECT_FALSE(ParseBenchMode("bidi").ok());
}

}  // namespace
}  // namespace idgen::cli
