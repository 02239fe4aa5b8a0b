// Copyright idgen authors.
#include "src/config/json_fields.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "src/testing/temp_dir.h"

namespace idgen::config {
namespace {

using ::testing::HasSubstr;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

TEST(ParseJson, AcceptsCommentsAndNesting) {
  absl::StatusOr<Json> j = ParseJson(R"({"a": {"b": [1, {"c": 2}]}, // note
                                        "d": 1.5e3})");
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ((*j)["a"]["b"][1]["c"], 2);
}

TEST(ParseJson, NumberBeyondDoubleIsInvalidArgumentNamingKeyPath) {
  absl::StatusOr<Json> j = ParseJson(R"({"nodes": {"count": 1e400}})");
  ASSERT_EQ(j.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(j.status()), HasSubstr("nodes.count: number out of range"));
}

TEST(ParseJson, NumberBeyondDoubleInArrayNamesIndex) {
  absl::StatusOr<Json> j = ParseJson(R"({"namespaces": [{"a": 1}, {"b": -1e999}]})");
  ASSERT_EQ(j.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(j.status()), HasSubstr("namespaces[1].b: number out of range"));
}

TEST(ParseJson, DuplicateKeyIsRefusedNamingKeyPath) {
  absl::StatusOr<Json> j = ParseJson(R"({"nodes": {"count": 1, "count": 2}})");
  ASSERT_EQ(j.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(j.status()), HasSubstr("nodes.count: key given twice"));
}

TEST(ParseJson, SameKeyInSiblingObjectsIsFine) {
  absl::StatusOr<Json> j = ParseJson(R"({"list": [{"name": 1}, {"name": 2}], "x": {"name": 3}})");
  EXPECT_TRUE(j.ok()) << j.status();
}

TEST(ParseJson, DuplicateKeyInArrayElementNamesIndex) {
  absl::StatusOr<Json> j = ParseJson(R"({"list": [{"name": 1}, [], {"name": 2, "name": 3}]})");
  ASSERT_EQ(j.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(j.status()), HasSubstr("list[2].name: key given twice"));
}

TEST(ParseJson, SyntaxErrorSaysWhere) {
  absl::StatusOr<Json> j = ParseJson(R"({"a": {"b": tru}})");
  ASSERT_EQ(j.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(j.status()), HasSubstr("not valid JSON (at a.b)"));
}

TEST(ParseJson, DeepNestingIsRefused) {
  absl::StatusOr<Json> j = ParseJson(std::string(100000, '['));
  ASSERT_EQ(j.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(j.status()), HasSubstr("nested deeper than 64"));
}

TEST(GetInt, ValueAboveInt64IsRefusedAsWritten) {
  absl::StatusOr<Json> j = ParseJson(R"({"n": 18446744073709551615})");
  ASSERT_TRUE(j.ok()) << j.status();
  absl::StatusOr<int64_t> n = GetInt(*j, "n", "top", -10, 10, 0);
  ASSERT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(n.status()),
              HasSubstr("top.n: must be between -10 and 10, got 18446744073709551615"));
}

TEST(GetInt, InRangeAndOutOfRange) {
  absl::StatusOr<Json> j = ParseJson(R"({"a": 7, "b": -11})");
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ(*GetInt(*j, "a", "", -10, 10, 0), 7);
  EXPECT_EQ(*GetInt(*j, "missing", "", -10, 10, 3), 3);
  EXPECT_THAT(Message(GetInt(*j, "b", "", -10, 10, 0).status()),
              HasSubstr("must be between -10 and 10, got -11"));
}

TEST(ReadTextFile, ReadsWholeFile) {
  ::idgen::testing::TempDir dir("idgen-json-fields-");
  const std::string path = dir.path() + "/c.json";
  std::ofstream(path) << "{\"a\": 1}";
  absl::StatusOr<std::string> text = ReadTextFile(path);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "{\"a\": 1}");
}

TEST(ReadTextFile, MissingFileIsNotFoundWithReason) {
  absl::StatusOr<std::string> text = ReadTextFile("/nonexistent/c.json");
  ASSERT_EQ(text.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(text.status()), HasSubstr("No such file or directory"));
}

TEST(ReadTextFile, FileAboveLimitIsRefused) {
  ::idgen::testing::TempDir dir("idgen-json-fields-");
  const std::string path = dir.path() + "/big.json";
  std::ofstream(path) << std::string(1001, ' ');
  absl::StatusOr<std::string> text = ReadTextFile(path, 1000);
  ASSERT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(text.status()), HasSubstr("larger than 1000 bytes"));
  EXPECT_TRUE(ReadTextFile(path, 1001).ok());
}

TEST(ReadTextFile, EndlessDeviceStopsAtLimit) {
  absl::StatusOr<std::string> text = ReadTextFile("/dev/zero");
  ASSERT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(text.status()), HasSubstr("larger than 4194304 bytes"));
}

}  // namespace
}  // namespace idgen::config
