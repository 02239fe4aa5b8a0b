// Copyright idgen authors.
#include "src/auth/bearer.h"

#include <gtest/gtest.h>

#include "src/auth/token_verifier.h"

namespace idgen::auth {
namespace {

TEST(BearerTest, TakesTheTokenOfAnyCaseScheme) {
  EXPECT_EQ(ParseBearer("Bearer idg_abc-DEF_1"), "idg_abc-DEF_1");
  EXPECT_EQ(ParseBearer("bearer   a.b.c"), "a.b.c");
  EXPECT_EQ(ParseBearer("BEARER abc=="), "abc==");
}

TEST(BearerTest, RefusesOtherSchemesAndMalformedTokens) {
  for (const char* bad : {"", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearerabc", "Bearer a b",
                          "Bearer ==", "Bearer a=b", "Bearer a\"b"}) {
    EXPECT_FALSE(ParseBearer(bad).has_value()) << bad;
  }
}

TEST(BearerTest, JwtShapeIsTwoDots) {
  EXPECT_TRUE(LooksLikeJwt("a.b.c"));
  EXPECT_FALSE(LooksLikeJwt("idg_abc"));
  EXPECT_FALSE(LooksLikeJwt("a.b"));
  EXPECT_FALSE(LooksLikeJwt("a.b.c.d"));
}

}  // namespace
}  // namespace idgen::auth
