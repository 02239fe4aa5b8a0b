// Copyright idgen authors.
#include "src/telemetry/process_metrics.h"

#include <gtest/gtest.h>

#include <vector>

#include "idgen/clock.h"
#include "src/telemetry/meter.h"

namespace idgen::telemetry {
namespace {

TEST(ParseStatm, PagesTimesPageSize) {
  std::optional<ProcessMemory> m = ParseStatm("2500 300 200 10 0 400 0\n", 4096);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->resident_bytes, 300 * 4096);
  EXPECT_EQ(m->virtual_bytes, 2500 * 4096);
}

TEST(ParseStatm, RefusesNonsense) {
  for (const char* text : {"", "12", "a b", "-1 2", "1 -2"}) {
    EXPECT_FALSE(ParseStatm(text, 4096).has_value()) << text;
  }
  EXPECT_FALSE(ParseStatm("1 2", 0).has_value());
}

TEST(ProcessMetrics, ReportsThisProcessResidentMemory) {
  FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  Meter meter("test", &clock);
  RegisterProcessMetrics(&meter);
  // Touch memory so that the resident size is clearly above a floor.
  std::vector<char> block(8 << 20, 1);
  bool found = false;
  for (const MetricData& m : meter.Collect()) {
    if (m.name != "process.memory.usage") continue;
    ASSERT_EQ(m.numbers.size(), 1u);
    EXPECT_GE(m.numbers[0].value(), 8 << 20);
    EXPECT_EQ(m.kind, MetricKind::kGauge);
    EXPECT_EQ(m.unit, "By");
    found = true;
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(block[12345], 1);
}

}  // namespace
}  // namespace idgen::telemetry
