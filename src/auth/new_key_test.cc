// Copyright idgen authors.
#include "src/auth/new_key.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/auth/key_file.h"

namespace idgen::auth {
namespace {

using ::testing::HasSubstr;

TEST(NewKeyTest, PrintedEntryLoadsAndAdmitsTheKey) {
  auto k = MakeNewKey({.name = "orders",
                       .scopes = {"ids:generate", "info"},
                       .namespaces = {"orders"},
                       .ids_per_second = 100,
                       .burst = 200});
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_TRUE(absl::StartsWith(k->key, "idg_"));
  EXPECT_EQ(k->key.size(), 4u + 43u);
  EXPECT_THAT(k->entry_json, ::testing::Not(HasSubstr(k->key)));
  auto file = KeyFile::Parse(absl::StrCat(R"({"keys": [)", k->entry_json, "]}"));
  ASSERT_TRUE(file.ok()) << file.status();
  const KeyEntry* e = (*file)->FindKey(k->key);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->principal.name, "orders");
  EXPECT_EQ(e->principal.burst, 200);
}

TEST(NewKeyTest, KeysDiffer) {
  auto a = MakeNewKey({.name = "a", .scopes = {"info"}});
  auto b = MakeNewKey({.name = "a", .scopes = {"info"}});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->key, b->key);
}

TEST(NewKeyTest, BadValuesNameTheFlag) {
  auto scope = MakeNewKey({.name = "a", .scopes = {"ids:everything"}});
  EXPECT_THAT(std::string(scope.status().message()), HasSubstr("--scopes"));
  auto name = MakeNewKey({.name = "a b", .scopes = {"info"}});
  EXPECT_THAT(std::string(name.status().message()), HasSubstr("--name"));
  auto burst = MakeNewKey({.name = "a", .scopes = {"info"}, .ids_per_second = 5, .burst = 0});
  EXPECT_THAT(std::string(burst.status().message()), HasSubstr("--burst"));
}

}  // namespace
}  // namespace idgen::auth
