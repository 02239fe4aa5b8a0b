// Copyright idgen authors.
#include "src/auth/principal.h"

#include <gtest/gtest.h>

namespace idgen::auth {
namespace {

Principal Orders() {
  Principal p;
  p.name = "orders";
  p.scopes = {"ids:generate"};
  p.namespaces = {"orders", "default"};
  return p;
}

TEST(PrincipalTest, AllowsGrantedScopeAndNamespaceOnly) {
  const Principal p = Orders();
  EXPECT_TRUE(p.Check("ids:generate", "orders").ok());
  EXPECT_TRUE(p.Check("ids:generate", "").ok());  // "" is "default"
  const absl::Status scope = p.Check("ids:decode", "orders");
  EXPECT_EQ(scope.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(scope.message(), "caller \"orders\" lacks the scope \"ids:decode\"");
  const absl::Status ns = p.Check("ids:generate", "billing");
  EXPECT_EQ(ns.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ns.message(), "caller \"orders\" may not use the namespace \"billing\"");
}

TEST(PrincipalTest, StarGrantsEveryNamespace) {
  Principal p = Orders();
  p.namespaces = {"*"};
  EXPECT_TRUE(p.AllowsNamespace("anything"));
}

TEST(PrincipalTest, AnonymousMayDoEverything) {
  const Principal p = AnonymousPrincipal();
  EXPECT_TRUE(p.anonymous);
  for (auto scope : {kScopeGenerate, kScopeDecode, kScopeInfo, kScopeAdmin}) {
    EXPECT_TRUE(p.Check(scope, "x").ok()) << scope;
  }
  EXPECT_EQ(p.ids_per_second, 0);
}

}  // namespace
}  // namespace idgen::auth
