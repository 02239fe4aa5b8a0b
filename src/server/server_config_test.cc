// Copyright idgen authors.
#include "src/server/server_config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace idgen::server {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixMillis(1'790'000'000'000);

std::string Error(const std::string& json) {
  auto c = ParseServerConfig(json, kNow);
  EXPECT_FALSE(c.ok()) << json;
  return c.ok() ? "" : std::string(c.status().message());
}

TEST(ServerConfigTest, ParsesEverySchemeAndOption) {
  auto c = ParseServerConfig(R"({
    "reservation_ahead_ms": 5000,
    "namespaces": [
      {"name": "default", "scheme": "snowflake", "layout": "sonyflake", "max_batch": 500,
       "clock": {"max_wait_ms": 2, "max_borrow_ms": 100}},
      {"name": "orders", "layout": {"time_bits": 42, "worker_bits": 9, "sequence_bits": 12,
                                     "unit_ms": 1, "epoch_ms": 1420070400000}},
      {"name": "events", "scheme": "uuidv7"},
      {"name": "s.e_s-1", "scheme": "ulid"}
    ]})",
                             kNow);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->namespaces.size(), 4u);
  EXPECT_EQ(c->reservation_ahead, absl::Seconds(5));
  EXPECT_EQ(c->namespaces[0].layout.name(), "sonyflake");
  EXPECT_EQ(c->namespaces[0].max_batch, 500u);
  EXPECT_EQ(c->namespaces[0].clock.max_borrow, absl::Milliseconds(100));
  EXPECT_EQ(c->namespaces[1].layout.time_bits(), 42);
  EXPECT_EQ(c->namespaces[1].layout.worker_bits(), 9);
  EXPECT_EQ(c->namespaces[2].scheme, Scheme::kUuidV7);
  EXPECT_EQ(c->namespaces[3].scheme, Scheme::kUlid);
}

TEST(ServerConfigTest, DefaultsServeSnowflakeUuidAndUlid) {
  const ServerConfig c = DefaultServerConfig();
  ASSERT_EQ(c.namespaces.size(), 3u);
  EXPECT_EQ(c.namespaces[0].name, "default");
  EXPECT_EQ(c.namespaces[0].layout.name(), "twitter");
}

TEST(ServerConfigTest, RejectsNonsenseNamingTheKey) {
  EXPECT_THAT(Error("{"), HasSubstr("not valid JSON"));
  EXPECT_THAT(Error("[]"), HasSubstr("must be an object"));
  EXPECT_THAT(Error(R"({"namespaces": []})"), HasSubstr("namespaces: is required"));
  EXPECT_THAT(Error(R"({"namespaces": [{"name": "a"}], "colour": 1})"),
              HasSubstr("colour: unknown key"));
  EXPECT_THAT(Error(R"({"namespaces": [{"name": "a", "scheme": "uuid4"}]})"),
              HasSubstr("namespaces[0].scheme: unknown scheme \"uuid4\""));
  EXPECT_THAT(Error(R"({"namespaces": [{"name": "A"}]})"),
              HasSubstr("namespaces[0].name: namespace name \"A\" has an invalid character"));
  EXPECT_THAT(Error(R"({"namespaces": [{"name": "a"}, {"name": "a"}]})"),
              HasSubstr("namespaces[1].name: duplicate namespace"));
  EXPECT_THAT(Error(R"({"namespaces": [{"name": "a", "max_batch": 0}]})"),
              HasSubstr("namespaces[0].max_batch: must be between 1 and 1000000, got 0"));
  EXPECT_THAT(Error(R"({"namespaces": [{"name": "a", "max_batch": "10"}]})"),
              HasSubstr("must be an integer"));
  EXPECT_THAT(Error(R"({"namespaces": [{"name": "a", "layout": "snowflake"}]})"),
              HasSubstr("unknown layout preset"));
  EXPECT_THAT(
      Error(R"({"namespaces": [{"name": "a", "layout": {"time_bits": 50, "worker_bits": 10}}]})"),
      HasSubstr("bits do not add up"));
  EXPECT_THAT(Error(R"({"namespaces": [{"name": "a", "layout": {"epoch_ms": 99999999999999}}]})"),
              HasSubstr("epoch is in the future"));
  EXPECT_THAT(Error(R"({"namespaces": [{"name": "a", "scheme": "ulid", "layout": "twitter"}]})"),
              HasSubstr("applies only to snowflake"));
  EXPECT_THAT(Error(R"({"namespaces": [{"name": "a", "clock": {"max_wait_ms": 10,
                                                                 "max_borrow_ms": 5}}]})"),
              HasSubstr("must be at least max_wait_ms"));
  EXPECT_THAT(Error(R"({"namespaces": [{"name": "a", "clock": {"wait": 1}}]})"),
              HasSubstr("namespaces[0].clock.wait: unknown key"));
  EXPECT_THAT(Error(R"({"reservation_ahead_ms": 10, "namespaces": [{"name": "a"}]})"),
              HasSubstr("reservation_ahead_ms: must be between 500"));
}

// Found by namespace_config_fuzz: the scheme was read with value() before
// its type was checked, which threw out of the parser and ended the process.
TEST(ServerConfigTest, SchemeThatIsNotAStringIsAnErrorNotAnException) {
  for (const char* scheme : {"1", "null", "[\"ulid\"]", "{}", "true"}) {
    const std::string json =
        std::string(R"({"namespaces": [{"name": "a", "scheme": )") + scheme + "}]}";
    EXPECT_THAT(Error(json), HasSubstr("namespaces[0].scheme: must be a string")) << json;
  }
}

TEST(ServerConfigTest, SegmentNamespacesHaveTheirKeysAndDefaults) {
  auto c = ParseServerConfig(R"({"namespaces": [
      {"name": "orders", "scheme": "segment"},
      {"name": "invoices", "scheme": "segment", "store": "sqlite", "start": 1000,
       "step": 50, "max_step": 400, "load_at": 0.25, "max_value": 99999}]})",
                             kNow);
  ASSERT_TRUE(c.ok()) << c.status();
  const SegmentConfig& d = c->namespaces[0].segment;
  EXPECT_EQ(c->namespaces[0].scheme, Scheme::kSegment);
  EXPECT_EQ(SchemeName(Scheme::kSegment), "segment");
  EXPECT_EQ(d.store, "");
  EXPECT_EQ(d.start, 1u);
  EXPECT_EQ(d.step, 1000u);
  EXPECT_EQ(d.max_step, 1'000'000u);
  EXPECT_DOUBLE_EQ(d.load_at, 0.1);
  EXPECT_EQ(d.max_value, 9007199254740991u);
  const SegmentConfig& i = c->namespaces[1].segment;
  EXPECT_EQ(i.store, "sqlite");
  EXPECT_EQ(i.start, 1000u);
  EXPECT_EQ(i.step, 50u);
  EXPECT_EQ(i.max_step, 400u);
  EXPECT_DOUBLE_EQ(i.load_at, 0.25);
  EXPECT_EQ(i.max_value, 99999u);
  // A step above the default max_step raises max_step's default with it.
  auto big = ParseServerConfig(
      R"({"namespaces": [{"name": "b", "scheme": "segment", "step": 2000000}]})", kNow);
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->namespaces[0].segment.max_step, 2'000'000u);
}

TEST(ServerConfigTest, RejectsBadSegmentKeysNamingThePath) {
  const std::string pre = R"({"namespaces": [{"name": "o", "scheme": "segment", )";
  EXPECT_THAT(Error(pre + R"("store": "mysql"}]})"),
              HasSubstr("namespaces[0].store: unknown store \"mysql\""));
  EXPECT_THAT(Error(pre + R"("step": 0}]})"), HasSubstr("namespaces[0].step"));
  EXPECT_THAT(Error(pre + R"("step": 100, "max_step": 10}]})"),
              HasSubstr("namespaces[0].max_step: must be at least step (100)"));
  EXPECT_THAT(Error(pre + R"("load_at": 1.0}]})"), HasSubstr("namespaces[0].load_at"));
  EXPECT_THAT(Error(pre + R"("load_at": 0}]})"), HasSubstr("namespaces[0].load_at"));
  EXPECT_THAT(Error(pre + R"("load_at": "half"}]})"), HasSubstr("namespaces[0].load_at"));
  EXPECT_THAT(Error(pre + R"("max_value": 0}]})"), HasSubstr("namespaces[0].max_value"));
  EXPECT_THAT(Error(pre + R"("max_value": 9223372036854775807}]})"),
              HasSubstr("namespaces[0].max_value"));
  EXPECT_THAT(Error(pre + R"("max_value": 10, "start": 11}]})"), HasSubstr("namespaces[0].start"));
  EXPECT_THAT(Error(pre + R"("layout": "twitter"}]})"),
              HasSubstr("namespaces[0].layout: applies only to snowflake"));
  EXPECT_THAT(Error(R"({"namespaces": [{"name": "s", "step": 10}]})"),
              HasSubstr("namespaces[0].step: applies only to segment namespaces, not snowflake"));
}

TEST(ServerConfigTest, LoadNamesTheFile) {
  auto c = LoadServerConfig("/nonexistent/idgen.json", kNow);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("/nonexistent/idgen.json"));
}

}  // namespace
}  // namespace idgen::server
