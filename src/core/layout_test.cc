// Copyright idgen authors.
#include "idgen/layout.h"

#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace idgen {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixMillis(1'790'000'000'000);  // 2026-09

LayoutSpec Spec(int t, int w, int s, int64_t unit = 1, int64_t epoch = 1288834974657) {
  return {.time_bits = t,
          .worker_bits = w,
          .sequence_bits = s,
          .unit_ms = unit,
          .epoch_unix_ms = epoch,
          .name = "test"};
}

TEST(LayoutTest, PresetsHaveDocumentedShapes) {
  const Layout tw = Layout::Twitter();
  EXPECT_EQ(tw.total_bits(), 63);
  EXPECT_EQ(tw.max_worker(), 1023u);
  EXPECT_EQ(tw.max_sequence(), 4095u);
  EXPECT_DOUBLE_EQ(tw.ids_per_second_per_worker(), 4'096'000.0);
  const Layout sf = Layout::Sonyflake();
  EXPECT_EQ(sf.unit_ms(), 10);
  EXPECT_EQ(sf.max_worker(), 65535u);
  EXPECT_DOUBLE_EQ(sf.ids_per_second_per_worker(), 25'600.0);
  const Layout js = Layout::Js53();
  EXPECT_LE(js.max_id(), (uint64_t{1} << 53) - 1);
  EXPECT_EQ(js.total_bits(), 53);
  for (const std::string& name : Layout::PresetNames()) {
    ASSERT_TRUE(Layout::Preset(name).ok()) << name;
    EXPECT_TRUE(Layout::Create(Layout::Preset(name)->spec(), kNow).ok()) << name;
  }
}

TEST(LayoutTest, UnknownPresetListsKnownOnes) {
  auto l = Layout::Preset("snowflake2");
  ASSERT_FALSE(l.ok());
  EXPECT_THAT(l.status().message(), HasSubstr("twitter, sonyflake, js53"));
}

TEST(LayoutTest, TwitterTimeRunsOutIn2080) {
  // 2^41 ms after 2010-11-04T01:42:54.657Z is 2080-07-10T17:30:30.208Z.
  EXPECT_EQ(absl::ToUnixMillis(Layout::Twitter().time_runs_out()),
            1288834974657 + (int64_t{1} << 41));
  EXPECT_EQ(absl::FormatTime("%Y-%m-%d", Layout::Twitter().time_runs_out(), absl::UTCTimeZone()),
            "2080-07-10");
}

TEST(LayoutTest, RejectsBitsThatDoNotAddUp) {
  auto l = Layout::Create(Spec(42, 11, 12), kNow);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(l.status().message(), HasSubstr("bits do not add up"));
  EXPECT_THAT(l.status().message(), HasSubstr("= 65"));
}

TEST(LayoutTest, Allows64BitsForDiscordStyleLayouts) {
  EXPECT_TRUE(Layout::Create(Spec(42, 10, 12, 1, 1420070400000), kNow).ok());
}

TEST(LayoutTest, RejectsBadFieldWidths) {
  EXPECT_THAT(Layout::Create(Spec(0, 10, 12), kNow).status().message(), HasSubstr("time bits"));
  EXPECT_THAT(Layout::Create(Spec(41, -1, 12), kNow).status().message(), HasSubstr("worker bits"));
  EXPECT_THAT(Layout::Create(Spec(20, 10, 33), kNow).status().message(),
              HasSubstr("sequence bits"));
}

TEST(LayoutTest, RejectsZeroUnit) {
  auto l = Layout::Create(Spec(41, 10, 12, 0), kNow);
  ASSERT_FALSE(l.ok());
  EXPECT_THAT(l.status().message(), HasSubstr("time unit"));
}

TEST(LayoutTest, RejectsEpochInTheFuture) {
  auto l = Layout::Create(Spec(41, 10, 12, 1, absl::ToUnixMillis(kNow) + 1), kNow);
  ASSERT_FALSE(l.ok());
  EXPECT_THAT(l.status().message(), HasSubstr("epoch is in the future"));
  EXPECT_THAT(Layout::Create(Spec(41, 10, 12, 1, -5), kNow).status().message(),
              HasSubstr("before 1970"));
}

TEST(LayoutTest, WorkerOutOfRangeNamesTheRange) {
  const Layout tw = Layout::Twitter();
  EXPECT_TRUE(tw.ValidateWorker(1023).ok());
  auto s = tw.ValidateWorker(1024);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("worker id 1024 is out of range 0..1023"));
  EXPECT_FALSE(tw.ValidateWorker(-1).ok());
}

TEST(LayoutTest, DecodesARealTwitterId) {
  // The Tweet object example in Twitter's API documentation: id
  // 1050118621198921728, created_at "Wed Oct 10 20:19:24 +0000 2018".
  const DecodedId d = Layout::Twitter().Decode(1050118621198921728ULL);
  EXPECT_EQ(d.timestamp_ms, 1539202764211);
  EXPECT_EQ(absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMillis(d.timestamp_ms),
                             absl::UTCTimeZone()),
            "2018-10-10 20:19:24");
  EXPECT_EQ(d.worker, 347u);
  EXPECT_EQ(d.sequence, 0u);
}

TEST(LayoutTest, DecodesARealDiscordId) {
  // From Discord's developer documentation: 175928847299117063 ->
  // 2016-04-30 11:18:25.796 UTC, internal worker 1, process 0, increment 7.
  auto discord = Layout::Create(Spec(42, 10, 12, 1, 1420070400000), kNow);
  ASSERT_TRUE(discord.ok());
  const DecodedId d = discord->Decode(175928847299117063ULL);
  EXPECT_EQ(d.timestamp_ms, 1462015105796);
  EXPECT_EQ(d.worker, 0b0000100000u);  // worker 1 << 5 | process 0
  EXPECT_EQ(d.sequence, 7u);
}

TEST(LayoutTest, DecodeCheckedRejectsBitsAboveTheLayout) {
  auto d = Layout::Js53().DecodeChecked(uint64_t{1} << 53);
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("does not fit layout js53"));
  EXPECT_TRUE(Layout::Js53().DecodeChecked((uint64_t{1} << 53) - 1).ok());
}

TEST(LayoutTest, DecodeInvertsComposeOverRandomInputs) {
  std::mt19937_64 rng(42);
  const Layout layouts[] = {Layout::Twitter(), Layout::Sonyflake(), Layout::Js53(),
                            *Layout::Create(Spec(42, 10, 12), kNow),
                            *Layout::Create(Spec(30, 0, 33 - 1), kNow)};
  for (const Layout& l : layouts) {
    for (int i = 0; i < 20'000; ++i) {
      const uint64_t t = rng() & l.max_tick();
      const uint64_t w = rng() & l.max_worker();
      const uint64_t s = rng() & l.max_sequence();
      const uint64_t id = l.Compose(t, w, s);
      const DecodedId d = l.Decode(id);
      ASSERT_EQ(d.tick, t);
      ASSERT_EQ(d.worker, w);
      ASSERT_EQ(d.sequence, s);
      ASSERT_EQ(d.timestamp_ms, l.UnixMillisOf(t));
      ASSERT_EQ(l.Compose(d.tick, d.worker, d.sequence), id);
    }
  }
}

TEST(LayoutTest, TickOfFloorsAndHandlesTimesBeforeTheEpoch) {
  const Layout sf = Layout::Sonyflake();
  EXPECT_EQ(sf.TickOf(sf.epoch_unix_ms()), 0);
  EXPECT_EQ(sf.TickOf(sf.epoch_unix_ms() + 9), 0);
  EXPECT_EQ(sf.TickOf(sf.epoch_unix_ms() + 10), 1);
  EXPECT_EQ(sf.TickOf(sf.epoch_unix_ms() - 1), -1);
  EXPECT_EQ(sf.TickOf(sf.epoch_unix_ms() - 10), -1);
  EXPECT_EQ(sf.TickOf(sf.epoch_unix_ms() - 11), -2);
}

}  // namespace
}  // namespace idgen
