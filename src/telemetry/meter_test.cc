// Copyright idgen authors.
#include "src/telemetry/meter.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace idgen::telemetry {
namespace {

const MetricData* Find(const std::vector<MetricData>& all, const std::string& name) {
  for (const MetricData& m : all) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

class MeterTest : public ::testing::Test {
 protected:
  FakeClock clock_{absl::FromUnixSeconds(1'700'000'000)};
  Meter meter_{"test", &clock_};
};

TEST_F(MeterTest, CounterSumsAcrossThreadsPerAttributeSet) {
  Counter* c = meter_.CreateCounter("c", "d", "{id}");
  CounterCell* a = c->Bind({{"ns", std::string("a")}});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([a] {
      for (int i = 0; i < 10000; ++i) a->Add(2);
    });
  }
  for (auto& t : threads) t.join();
  c->Add(5, {{"ns", std::string("b")}});
  const std::vector<MetricData> all = meter_.Collect();
  const MetricData* m = Find(all, "c");
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->numbers.size(), 2u);
  EXPECT_EQ(m->numbers[0].as_int, 80000);
  EXPECT_EQ(m->numbers[1].as_int, 5);
  EXPECT_EQ(m->kind, MetricKind::kCounter);
}

TEST_F(MeterTest, AttributeOrderDoesNotSplitSeries) {
  Counter* c = meter_.CreateCounter("c", "d", "1");
  c->Add(1, {{"a", std::string("1")}, {"b", std::string("2")}});
  c->Add(1, {{"b", std::string("2")}, {"a", std::string("1")}});
  const std::vector<MetricData> all = meter_.Collect();
  ASSERT_EQ(all[0].numbers.size(), 1u);
  EXPECT_EQ(all[0].numbers[0].as_int, 2);
}

TEST_F(MeterTest, HistogramBucketsAreUpperInclusive) {
  Histogram* h = meter_.CreateHistogram("h", "d", "ms", {10, 1, 5, 5});
  for (double v : {0.5, 1.0, 1.5, 5.0, 7.0, 10.0, 11.0}) h->Record(v);
  const std::vector<MetricData> all = meter_.Collect();
  ASSERT_EQ(all[0].histograms.size(), 1u);
  const HistogramPoint& p = all[0].histograms[0];
  EXPECT_EQ(p.bounds, (std::vector<double>{1, 5, 10}));
  EXPECT_EQ(p.buckets, (std::vector<uint64_t>{2, 2, 2, 1}));
  EXPECT_EQ(p.count, 7u);
  EXPECT_DOUBLE_EQ(p.sum, 36.0);
}

TEST_F(MeterTest, ObservableCallbacksRunAtCollectWithTimes) {
  int calls = 0;
  meter_.CreateObservableGauge("g", "d", "ms", [&calls](Observer& o) {
    ++calls;
    o.Observe(int64_t{42}, {{"ns", std::string("x")}});
  });
  meter_.CreateObservableCounter("oc", "d", "{wait}", [](Observer& o) { o.Observe(2.5); });
  clock_.Advance(absl::Seconds(3));
  const std::vector<MetricData> all = meter_.Collect();
  EXPECT_EQ(calls, 1);
  const MetricData* g = Find(all, "g");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->kind, MetricKind::kGauge);
  ASSERT_EQ(g->numbers.size(), 1u);
  EXPECT_EQ(g->numbers[0].as_int, 42);
  EXPECT_EQ(g->time - g->start_time, absl::Seconds(3));
  const MetricData* oc = Find(all, "oc");
  ASSERT_NE(oc, nullptr);
  EXPECT_EQ(oc->kind, MetricKind::kCounter);
  EXPECT_DOUBLE_EQ(oc->numbers[0].value(), 2.5);
}

TEST_F(MeterTest, GaugeKeepsLastValue) {
  Gauge* g = meter_.CreateGauge("g", "d", "");
  g->Set(3);
  g->Set(-1.5);
  EXPECT_DOUBLE_EQ(meter_.Collect()[0].numbers[0].value(), -1.5);
}

}  // namespace
}  // namespace idgen::telemetry
