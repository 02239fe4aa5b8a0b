// Copyright idgen authors.
#include "src/gateway/id_request.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace idgen::gateway {
namespace {

using ::testing::HasSubstr;

TEST(IdRequestTest, QueryDefaultsToOneDecimalIdOfDefault) {
  absl::StatusOr<IdsRequest> r = ParseIdsQuery({}, 100);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->ns, "default");
  EXPECT_EQ(r->count, 1u);
  EXPECT_EQ(r->format, IdFormat::kDecimal);
}

TEST(IdRequestTest, QueryReadsEveryParameter) {
  absl::StatusOr<IdsRequest> r =
      ParseIdsQuery({{"namespace", "orders.eu-1"}, {"count", "100"}, {"format", "BASE62"}}, 100);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->ns, "orders.eu-1");
  EXPECT_EQ(r->count, 100u);
  EXPECT_EQ(r->format, IdFormat::kBase62);
}

TEST(IdRequestTest, BadCountsAreInvalidArgument) {
  for (const char* bad : {"", "0", "-1", "1.5", "abc", " 1", "0x10", "+3"}) {
    absl::StatusOr<IdsRequest> r = ParseIdsQuery({{"count", bad}}, 100);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("count")) << bad;
  }
}

TEST(IdRequestTest, CountAboveLimitIsResourceExhaustedEvenWhenHuge) {
  for (const char* big : {"101", "4294967296", "99999999999999999999999999"}) {
    absl::StatusOr<IdsRequest> r = ParseIdsQuery({{"count", big}}, 100);
    ASSERT_FALSE(r.ok()) << big;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << big;
  }
}

TEST(IdRequestTest, BadNamespaceFormatAndUnknownOrRepeatedParametersAreRejected) {
  EXPECT_THAT(ParseIdsQuery({{"namespace", "Orders"}}, 100).status().message(),
              HasSubstr("namespace"));
  EXPECT_FALSE(ParseIdsQuery({{"namespace", ""}}, 100).ok());
  EXPECT_FALSE(ParseIdsQuery({{"namespace", "-x"}}, 100).ok());
  EXPECT_FALSE(ParseIdsQuery({{"namespace", std::string(65, 'a')}}, 100).ok());
  EXPECT_TRUE(ParseIdsQuery({{"namespace", std::string(64, 'a')}}, 100).ok());
  EXPECT_THAT(ParseIdsQuery({{"format", "octal"}}, 100).status().message(),
              HasSubstr("decimal, hex, base62, base32"));
  EXPECT_THAT(ParseIdsQuery({{"cnt", "2"}}, 100).status().message(),
              HasSubstr("unknown query parameter \"cnt\""));
  EXPECT_THAT(ParseIdsQuery({{"count", "2"}, {"count", "3"}}, 100).status().message(),
              HasSubstr("more than once"));
}

TEST(IdRequestTest, BodyReadsJsonObject) {
  absl::StatusOr<IdsRequest> r =
      ParseIdsBody(R"({"namespace":"ulid","count":3,"format":"hex"})", 100);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->ns, "ulid");
  EXPECT_EQ(r->count, 3u);
  EXPECT_EQ(r->format, IdFormat::kHex);
  EXPECT_TRUE(ParseIdsBody("{}", 100).ok());
}

TEST(IdRequestTest, BadBodiesAreRejectedWithReasons) {
  EXPECT_THAT(ParseIdsBody("not json", 100).status().message(), HasSubstr("JSON object"));
  EXPECT_THAT(ParseIdsBody("[1]", 100).status().message(), HasSubstr("JSON object"));
  EXPECT_THAT(ParseIdsBody(R"({"count":"2"})", 100).status().message(), HasSubstr("integer"));
  EXPECT_THAT(ParseIdsBody(R"({"count":2.5})", 100).status().message(), HasSubstr("integer"));
  EXPECT_EQ(ParseIdsBody(R"({"count":0})", 100).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseIdsBody(R"({"count":-4})", 100).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseIdsBody(R"({"count":101})", 100).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(ParseIdsBody(R"({"namespace":7})", 100).status().message(), HasSubstr("string"));
  EXPECT_THAT(ParseIdsBody(R"({"extra":1})", 100).status().message(),
              HasSubstr("unknown field \"extra\""));
}

TEST(IdRequestTest, BodyWithDuplicateKeyIsRejectedNamingIt) {
  // A plain JSON parse would keep the last value (a count of 5000).
  absl::StatusOr<IdsRequest> r = ParseIdsBody(R"({"count":1,"count":5000})", 10000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("\"count\" appears more than once"));
}

TEST(IdRequestTest, DecodeTellsIdKindsApartByShape) {
  absl::StatusOr<DecodeRequest> d = ParseDecode("255", {{"namespace", "default"}});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(std::get<uint64_t>(d->id), 255u);
  d = ParseDecode("ff", {{"format", "hex"}});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(std::get<uint64_t>(d->id), 255u);
  d = ParseDecode("01890a5d-ac96-774b-bcce-b302099a8057", {{"namespace", "uuidv7"}});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(std::get<Id128>(d->id)[0], 0x01);
  d = ParseDecode("01ARZ3NDEKTSV4RRFFQ69G5FAV", {{"namespace", "ulid"}});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(std::holds_alternative<Id128>(d->id));
}

TEST(IdRequestTest, BadDecodeInputIsInvalidArgument) {
  EXPECT_FALSE(ParseDecode("12x", {}).ok());
  EXPECT_FALSE(ParseDecode("18446744073709551616", {}).ok());
  EXPECT_FALSE(ParseDecode("01890a5d-ac96-774b-bcce-b302099a805g", {}).ok());
  EXPECT_FALSE(ParseDecode("1", {{"count", "1"}}).ok());
  EXPECT_EQ(ParseDecode("zz", {}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace idgen::gateway
