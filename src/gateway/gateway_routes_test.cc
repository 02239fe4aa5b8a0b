// Copyright idgen authors.
//
// The served routes and the OpenAPI document agree: every route is
// documented, every documented operation is served, and every operation
// documents the errors the server itself can answer.
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
#include "src/gateway/gateway.h"
#include "src/http/router.h"

namespace idgen::gateway {
namespace {

std::unique_ptr<Gateway> StartWithUnusedBackend() {
  GatewayOptions o;
  o.listen = "127.0.0.1:0";
  o.backend.backends = {"127.0.0.1:9"};  // never called by this test
  o.swagger_ui_dir = "/nonexistent";
  absl::StatusOr<std::unique_ptr<Gateway>> gw = Gateway::Start(o);
  EXPECT_TRUE(gw.ok()) << gw.status();
  return gw.ok() ? *std::move(gw) : nullptr;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

TEST(GatewayRoutesTest, EveryRouteIsDocumentedAndEveryOperationServed) {
  std::unique_ptr<Gateway> gw = StartWithUnusedBackend();
  ASSERT_NE(gw, nullptr);
  const nlohmann::json doc = nlohmann::json::parse(OpenApiJson());
  EXPECT_EQ(doc["openapi"], "3.1.0");
  std::set<std::pair<std::string, std::string>> served;
  for (const http::Router::Route& r : gw->router().routes()) {
    served.emplace(Lower(r.method), r.pattern);
    ASSERT_TRUE(doc["paths"].contains(r.pattern)) << r.pattern;
    EXPECT_TRUE(doc["paths"][r.pattern].contains(Lower(r.method))) << r.method << " " << r.pattern;
  }
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      EXPECT_TRUE(served.count({method, path})) << method << " " << path << " is not served";
      EXPECT_TRUE(op["responses"].contains("405")) << path;
      EXPECT_TRUE(op["responses"].contains("500")) << path;
      EXPECT_TRUE(op.contains("operationId")) << path;
    }
  }
}

TEST(GatewayRoutesTest, MissingSwaggerDirIsReportedNotFatal) {
  std::unique_ptr<Gateway> gw = StartWithUnusedBackend();
  ASSERT_NE(gw, nullptr);
  EXPECT_EQ(gw->swagger_ui().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(gw->swagger_ui().status().message().find("/nonexistent"), std::string::npos);
}

TEST(GatewayRoutesTest, BadOptionsAreInvalidArgument) {
  GatewayOptions o;
  o.listen = "127.0.0.1:0";
  EXPECT_EQ(Gateway::Start(o).status().code(), absl::StatusCode::kInvalidArgument);  // no backends
  o.backend.backends = {"127.0.0.1:9"};
  o.max_count = 0;
  EXPECT_EQ(Gateway::Start(o).status().code(), absl::StatusCode::kInvalidArgument);
  o.max_count = 10;
  o.listen = "nowhere";
  EXPECT_EQ(Gateway::Start(o).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace idgen::gateway
