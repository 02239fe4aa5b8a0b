// Copyright idgen authors.
#include "src/auth/key_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace idgen::auth {
namespace {

using ::testing::HasSubstr;

std::string Entry(const std::string& name, const std::string& key, const std::string& extra = "") {
  return absl::StrCat(R"({"name": ")", name, R"(", "sha256": ")", HexSha256(key),
                      R"(", "scopes": ["ids:generate"])", extra, "}");
}

std::string File(const std::string& entries) {
  return absl::StrCat(R"({"keys": [)", entries, "]}");
}

TEST(KeyFileTest, HexSha256IsTheKnownDigest) {
  EXPECT_EQ(HexSha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(KeyFileTest, FindsTheEntryOfAKeyAndNothingForOthers) {
  auto file = KeyFile::Parse(File(Entry("a", "key-a") + "," + Entry("b", "key-b")));
  ASSERT_TRUE(file.ok()) << file.status();
  const KeyEntry* b = (*file)->FindKey("key-b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->principal.name, "b");
  EXPECT_EQ((*file)->FindKey("key-c"), nullptr);
  EXPECT_EQ((*file)->FindKey(""), nullptr);
}

TEST(KeyFileTest, DefaultsAllNamespacesAndNoLimit) {
  auto file = KeyFile::Parse(File(Entry("a", "k")));
  ASSERT_TRUE(file.ok()) << file.status();
  const Principal& p = (*file)->entries()[0].principal;
  EXPECT_EQ(p.namespaces, std::vector<std::string>{"*"});
  EXPECT_EQ(p.ids_per_second, 0);
  EXPECT_FALSE(p.anonymous);
}

TEST(KeyFileTest, BurstDefaultsToOneSecondOfRate) {
  auto file = KeyFile::Parse(File(Entry("a", "k", R"(, "ids_per_second": 50)")));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->entries()[0].principal.burst, 50);
}

TEST(KeyFileTest, TlsIdentityEntryNeedsNoKey) {
  auto file = KeyFile::Parse(
      File(R"({"name": "gw", "tls_identity": "gateway.internal", "scopes": ["info"]})"));
  ASSERT_TRUE(file.ok()) << file.status();
  const KeyEntry* e = (*file)->FindIdentity({"x", "gateway.internal"});
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->principal.name, "gw");
  EXPECT_EQ((*file)->FindIdentity({"other"}), nullptr);
}

TEST(KeyFileTest, EveryMistakeNamesTheEntryAndKey) {
  const struct {
    std::string text;
    std::string error;
  } cases[] = {
      {"[]", "must be an object"},
      {R"({"keys": 1})", "keys: required"},
      {R"({"keys": [], "extra": 1})", "extra"},
      {File(R"({"sha256": "00", "scopes": ["info"]})"), "keys[0].name: required"},
      {File(R"({"name": "a b", "tls_identity": "x", "scopes": ["info"]})"), "keys[0].name"},
      {File(R"({"name": "a", "sha256": "zz", "scopes": ["info"]})"),
       "keys[0] (a).sha256: must be 64 hex digits"},
      {File(R"({"name": "a", "scopes": ["info"]})"), "keys[0] (a): needs \"sha256\""},
      {File(Entry("a", "k", R"(, "scopes": [])")), "given twice"},
      {File(R"({"name": "a", "tls_identity": "x", "scopes": []})"),
       "keys[0] (a).scopes: must not be empty"},
      {File(R"({"name": "a", "tls_identity": "x", "scopes": ["ids:all"]})"),
       "keys[0] (a).scopes[0]: unknown scope \"ids:all\""},
      {File(Entry("a", "k", R"(, "namespaces": [])")), "keys[0] (a).namespaces: must not"},
      {File(Entry("a", "k", R"(, "ids_per_second": 0)")), "keys[0] (a).ids_per_second"},
      {File(Entry("a", "k", R"(, "burst": 5)")), "keys[0] (a).burst: needs \"ids_per_second\""},
      {File(Entry("a", "k", R"(, "ids_per_second": 5, "burst": 0.5)")), "keys[0] (a).burst"},
      {File(Entry("a", "k", R"(, "secret": "x")")), "secret"},
      {File(Entry("a", "k") + "," + Entry("a", "j")), "keys[1] (a).name: given to an earlier"},
      {File(Entry("a", "k") + "," + Entry("b", "k")), "keys[1] (b).sha256: the same key"},
  };
  for (const auto& c : cases) {
    auto file = KeyFile::Parse(c.text);
    ASSERT_FALSE(file.ok()) << c.text;
    EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(std::string(file.status().message()), HasSubstr(c.error)) << c.text;
  }
}

TEST(KeyFileTest, LoadNamesTheFile) {
  auto file = KeyFile::Load("/nonexistent/keys.json");
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("/nonexistent/keys.json"));
}

}  // namespace
}  // namespace idgen::auth
