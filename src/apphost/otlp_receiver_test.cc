// Copyright idgen authors.
#include "src/apphost/otlp_receiver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "src/apphost/telemetry_store.h"
#include "src/http/router.h"

namespace idgen::apphost {
namespace {

using ::testing::HasSubstr;

http::Response Post(const std::string& path, const std::string& content_type,
                    const std::string& body) {
  TelemetryStore store;
  http::Router router;
  AddOtlpHttpRoutes(router, &store);
  http::Request req;
  req.method = "POST";
  req.target = path;
  req.path = path;
  req.headers = {{"Content-Type", content_type}};
  req.body = body;
  http::Response resp;
  router.Dispatch(req, resp);
  return resp;
}

TEST(OtlpReceiverTest, JsonBodiesAreUnsupportedMediaType) {
  const http::Response resp = Post("/v1/traces", "application/json", "{}");
  EXPECT_EQ(resp.status, 415);
  EXPECT_EQ(resp.content_type, "application/problem+json");
  EXPECT_THAT(resp.body, HasSubstr("application/x-protobuf"));
}

// The Content-Type is quoted in the answer; a value that is not UTF-8 (HTTP
// allows any byte above 0x7f there) made the JSON dump throw, and the
// server answered 500 instead of 415.
TEST(OtlpReceiverTest, ContentTypeThatIsNotUtf8GetsA415ProblemNotAThrow) {
  http::Response resp;
  ASSERT_NO_THROW(resp = Post("/v1/metrics", "text/\xff\xfe", "x"));
  EXPECT_EQ(resp.status, 415);
  const nlohmann::json j = nlohmann::json::parse(resp.body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << resp.body;
  EXPECT_EQ(j["status"], 415);
}

TEST(OtlpReceiverTest, BodyThatIsNotProtobufIsA400) {
  const http::Response resp = Post("/v1/logs", "application/x-protobuf", "\xff\xff\xff");
  EXPECT_EQ(resp.status, 400);
}

}  // namespace
}  // namespace idgen::apphost
