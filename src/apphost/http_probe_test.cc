// Copyright idgen authors.
#include "src/apphost/http_probe.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/http/http_server.h"

namespace idgen::apphost {
namespace {

std::unique_ptr<http::HttpServer> Serve(const std::string& listen, size_t body_bytes) {
  http::HttpServer::Options options;
  options.listen = listen;
  options.handler = [body_bytes](const http::Request&, http::Response& resp) {
    resp.status = 503;
    resp.body = std::string(body_bytes, 'x');
  };
  absl::StatusOr<std::unique_ptr<http::HttpServer>> server =
      http::HttpServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

TEST(HttpProbeTest, ProbesIpv6AndNames) {
  auto v6 = Serve("[::1]:0", 2);
  ASSERT_NE(v6, nullptr);
  absl::StatusOr<ProbeResult> r =
      HttpGet(absl::StrCat("http://[::1]:", v6->port(), "/health"), absl::Seconds(5));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, "xx");
  auto v4 = Serve("127.0.0.1:0", 2);
  ASSERT_NE(v4, nullptr);
  r = HttpGet(absl::StrCat("http://localhost:", v4->port(), "/health"), absl::Seconds(5));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 503);
}

TEST(HttpProbeTest, ALargeAnswerIsDownNotTruncated) {
  auto server = Serve("127.0.0.1:0", 65 * 1024);
  ASSERT_NE(server, nullptr);
  absl::StatusOr<ProbeResult> r =
      HttpGet(absl::StrCat("http://127.0.0.1:", server->port(), "/health"), absl::Seconds(5));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
}

TEST(HttpProbeTest, BadUrlIsInvalidArgument) {
  EXPECT_EQ(HttpGet("127.0.0.1:1/health", absl::Seconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HttpGet("http://127.0.0.1:99999/health", absl::Seconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace idgen::apphost
