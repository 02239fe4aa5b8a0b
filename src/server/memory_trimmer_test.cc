// Copyright idgen authors.
#include "src/server/memory_trimmer.h"

#include <gtest/gtest.h>

#include <optional>

namespace idgen::server {
namespace {

TEST(MemoryTrimmerTest, TrimsOnlyAboveTheThreshold) {
  std::optional<int64_t> resident = 10;
  int trimmed = 0;
  MemoryTrimmer trimmer(
      {.period = absl::ZeroDuration(), .threshold_bytes = 100}, [&] { return resident; },
      [&] { ++trimmed; });
  EXPECT_FALSE(trimmer.TrimIfAbove());
  resident = 100;
  EXPECT_FALSE(trimmer.TrimIfAbove());
  resident = 101;
  EXPECT_TRUE(trimmer.TrimIfAbove());
  EXPECT_EQ(trimmed, 1);
  EXPECT_EQ(trimmer.trims(), 1);
}

TEST(MemoryTrimmerTest, UnknownResidentSizeTrimsNothing) {
  int trimmed = 0;
  MemoryTrimmer trimmer(
      {.period = absl::ZeroDuration(), .threshold_bytes = 0},
      [] { return std::optional<int64_t>(); }, [&] { ++trimmed; });
  EXPECT_FALSE(trimmer.TrimIfAbove());
  EXPECT_EQ(trimmed, 0);
}

TEST(MemoryTrimmerTest, ProcessResidentReadsThisProcess) {
  std::optional<int64_t> rss = MemoryTrimmer::ProcessResident()();
  ASSERT_TRUE(rss.has_value());
  EXPECT_GT(*rss, 1 << 20);
}

TEST(MemoryTrimmerTest, DestructorStopsALongPeriodPromptly) {
  const absl::Time start = absl::Now();
  {
    MemoryTrimmer trimmer(
        {.period = absl::Hours(1), .threshold_bytes = 0}, [] { return std::optional<int64_t>(1); },
        [] {});
  }
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
}

}  // namespace
}  // namespace idgen::server
