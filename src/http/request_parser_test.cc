// Copyright idgen authors.
//
// The request-side functions declared in http_server.h and defined in
// request_parser.cc: PercentDecode and Request::Header.
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "src/http/http_server.h"

namespace idgen::http {
namespace {

TEST(PercentDecodeTest, DecodesEscapesAndOptionallyPlus) {
  std::string out;
  ASSERT_TRUE(PercentDecode("a%20b%2Fc%e2%9C%93", false, &out));
  EXPECT_EQ(out, "a b/c\xE2\x9C\x93");
  ASSERT_TRUE(PercentDecode("a+b", false, &out));
  EXPECT_EQ(out, "a+b");
  ASSERT_TRUE(PercentDecode("a+b", true, &out));
  EXPECT_EQ(out, "a b");
}

TEST(PercentDecodeTest, RejectsBadEscapes) {
  std::string out;
  EXPECT_FALSE(PercentDecode("%", false, &out));
  EXPECT_FALSE(PercentDecode("ab%4", false, &out));
  EXPECT_FALSE(PercentDecode("%zz", false, &out));
  EXPECT_FALSE(PercentDecode("%g1", true, &out));
}

TEST(RequestTest, HeaderLookupIsCaseInsensitive) {
  Request req;
  req.headers = {{"Content-Type", "text/plain"}, {"X-Trace", "1"}, {"x-trace", "2"}};
  EXPECT_EQ(req.Header("content-type"), "text/plain");
  EXPECT_EQ(req.Header("X-TRACE"), "1");
  EXPECT_EQ(req.Header("missing"), std::nullopt);
}

}  // namespace
}  // namespace idgen::http
