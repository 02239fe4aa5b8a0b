// Copyright idgen authors.
#include "src/security/peer_identity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace idgen::security {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(IdentityAllowedTest, AnyIdentityOnTheListIsEnough) {
  EXPECT_TRUE(IdentityAllowed({"gateway-1", "gw.example"}, {"gw.example"}));
  EXPECT_FALSE(IdentityAllowed({"gateway-1"}, {"Gateway-1", "gateway"}));
  EXPECT_FALSE(IdentityAllowed({}, {"gateway-1"}));
}

TEST(ParseAllowListTest, SplitsAndTrims) {
  EXPECT_THAT(*ParseAllowList("--tls-allowed-clients", "a, b ,c"), ElementsAre("a", "b", "c"));
}

TEST(ParseAllowListTest, RefusesEmptyEntries) {
  for (const char* bad : {"", "a,,b", " , "}) {
    absl::StatusOr<std::vector<std::string>> r = ParseAllowList("--tls-allowed-clients", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("--tls-allowed-clients"));
  }
}

}  // namespace
}  // namespace idgen::security
