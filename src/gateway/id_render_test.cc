// Copyright idgen authors.
#include "src/gateway/id_render.h"

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"

namespace idgen::gateway {
namespace {

TEST(IdRenderTest, SixtyFourBitIdsAreStringsInTheRequestedFormat) {
  v1::NextIdsResponse r;
  r.set_namespace_("default");
  r.set_scheme("snowflake");
  r.add_ids(255);
  r.add_ids(18446744073709551615ull);
  nlohmann::json j = nlohmann::json::parse(RenderIds(r, IdFormat::kDecimal));
  EXPECT_EQ(j["namespace"], "default");
  EXPECT_EQ(j["scheme"], "snowflake");
  EXPECT_EQ(j["format"], "decimal");
  EXPECT_EQ(j["ids"], nlohmann::json::array({"255", "18446744073709551615"}));
  j = nlohmann::json::parse(RenderIds(r, IdFormat::kHex));
  EXPECT_EQ(j["ids"][0], "ff");
  EXPECT_EQ(j["format"], "hex");
}

TEST(IdRenderTest, OneHundredTwentyEightBitIdsUseCanonicalText) {
  v1::NextIdsResponse r;
  r.set_namespace_("uuidv7");
  r.set_scheme("uuidv7");
  std::string bytes(16, '\0');
  bytes[0] = '\x01';
  bytes[6] = '\x70';
  r.add_ids128(bytes);
  nlohmann::json j = nlohmann::json::parse(RenderIds(r, IdFormat::kHex));
  EXPECT_EQ(j["format"], "uuid");
  EXPECT_EQ(j["ids"][0], "01000000-0000-7000-0000-000000000000");
  r.set_scheme("ulid");
  j = nlohmann::json::parse(RenderIds(r, IdFormat::kDecimal));
  EXPECT_EQ(j["format"], "ulid");
  EXPECT_EQ(j["ids"][0].get<std::string>().size(), 26u);
}

TEST(IdRenderTest, DecodeHasIsoTimestamp) {
  v1::DecodeResponse d;
  d.set_timestamp_ms(1700000000123);
  d.set_worker(3);
  d.set_sequence(12);
  d.set_tick(42);
  const nlohmann::json j = nlohmann::json::parse(RenderDecode("default", "123", d));
  EXPECT_EQ(j["timestamp"], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(j["timestamp_ms"], 1700000000123);
  EXPECT_EQ(j["worker"], 3);
  EXPECT_EQ(j["sequence"], 12);
  EXPECT_EQ(j["tick"], 42);
  EXPECT_EQ(j["id"], "123");
  EXPECT_EQ(IsoTimestamp(0), "1970-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace idgen::gateway
