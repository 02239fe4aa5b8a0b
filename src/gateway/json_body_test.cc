// Copyright idgen authors.
#include "src/gateway/json_body.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <string>

namespace idgen::gateway {
namespace {

using ::testing::HasSubstr;

TEST(IsJsonMediaTypeTest, AcceptsApplicationJsonWithParameters) {
  EXPECT_TRUE(IsJsonMediaType("application/json"));
  EXPECT_TRUE(IsJsonMediaType("Application/JSON"));
  EXPECT_TRUE(IsJsonMediaType("application/json; charset=utf-8"));
  EXPECT_TRUE(IsJsonMediaType("application/json;charset=UTF-8"));
  EXPECT_TRUE(IsJsonMediaType(" application/json "));
}

TEST(IsJsonMediaTypeTest, RefusesOtherTypesAndNone) {
  EXPECT_FALSE(IsJsonMediaType(std::nullopt));
  EXPECT_FALSE(IsJsonMediaType(""));
  EXPECT_FALSE(IsJsonMediaType("text/plain"));
  EXPECT_FALSE(IsJsonMediaType("application/x-www-form-urlencoded"));
  EXPECT_FALSE(IsJsonMediaType("application/jsonp"));
  EXPECT_FALSE(IsJsonMediaType("application/json-patch+json"));
  EXPECT_FALSE(IsJsonMediaType("text/json"));
}

TEST(ParseJsonBodyTest, ParsesNestedObjects) {
  absl::StatusOr<nlohmann::json> j = ParseJsonBody(R"({"a": {"b": 1, "c": [{"b": 2}]}, "b": 3})");
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ((*j)["a"]["c"][0]["b"], 2);
  EXPECT_EQ((*j)["b"], 3);
}

TEST(ParseJsonBodyTest, RefusesDuplicateKeyNamingIt) {
  absl::StatusOr<nlohmann::json> j = ParseJsonBody(R"({"count": 1, "count": 5})");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(j.status().message(), HasSubstr("\"count\""));
  EXPECT_THAT(j.status().message(), HasSubstr("more than once"));
}

TEST(ParseJsonBodyTest, RefusesDuplicateKeyInNestedObject) {
  absl::StatusOr<nlohmann::json> j = ParseJsonBody(R"({"a": {"x": 1, "x": 2}})");
  ASSERT_FALSE(j.ok());
  EXPECT_THAT(j.status().message(), HasSubstr("\"a.x\""));
}

TEST(ParseJsonBodyTest, RefusesDeepNesting) {
  absl::StatusOr<nlohmann::json> j = ParseJsonBody(std::string(100, '[') + std::string(100, ']'));
  ASSERT_FALSE(j.ok());
  EXPECT_THAT(j.status().message(), HasSubstr("nests deeper than 64"));
}

TEST(ParseJsonBodyTest, NotJsonIsDiscardedNotAnError) {
  absl::StatusOr<nlohmann::json> j = ParseJsonBody("not json");
  ASSERT_TRUE(j.ok());
  EXPECT_TRUE(j->is_discarded());
}

}  // namespace
}  // namespace idgen::gateway
