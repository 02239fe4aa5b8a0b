// Copyright idgen authors.
#include "src/auth/base64url.h"

#include <gtest/gtest.h>

#include <string>

namespace idgen::auth {
namespace {

TEST(Base64UrlTest, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    const std::string text = Base64UrlEncode(bytes);
    EXPECT_EQ(text.find('='), std::string::npos);
    EXPECT_EQ(Base64UrlDecode(text), bytes) << i;
    bytes.push_back(static_cast<char>(0xf0 + i));
  }
}

TEST(Base64UrlTest, DecodesRfc4648Vectors) {
  EXPECT_EQ(Base64UrlDecode("Zm9vYmFy"), "foobar");
  EXPECT_EQ(Base64UrlDecode("Zm9vYg"), "foob");
  EXPECT_EQ(Base64UrlDecode("Zm9vYmE"), "fooba");
  EXPECT_EQ(Base64UrlDecode("-_8"), "\xfb\xff");
}

TEST(Base64UrlTest, RefusesPaddingStandardAlphabetAndStrayCharacters) {
  EXPECT_EQ(Base64UrlDecode("Zm9vYg=="), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("+/8"), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("Zm9v Yg"), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("Zm9v\nYg"), std::nullopt);
}

TEST(Base64UrlTest, RefusesImpossibleLengthAndNonZeroTrailingBits) {
  EXPECT_EQ(Base64UrlDecode("Zm9vY"), std::nullopt);    // 4n+1 characters
  EXPECT_EQ(Base64UrlDecode("Zm9vYh"), std::nullopt);   // "Yg" with a low bit set
  EXPECT_EQ(Base64UrlDecode("Zm9vYmF"), std::nullopt);  // "YmE" with a low bit set
}

}  // namespace
}  // namespace idgen::auth
