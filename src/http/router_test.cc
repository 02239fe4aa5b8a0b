// Copyright idgen authors.
#include "src/http/router.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace idgen::http {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Request MakeRequest(std::string method, std::string path) {
  Request req;
  req.method = std::move(method);
  req.target = path;
  req.path = std::move(path);
  return req;
}

// A handler that answers "<name>" plus each parameter as " k=v".
Router::RouteHandler Named(const std::string& name) {
  return [name](const Request&, const PathParams& params, Response& resp) {
    resp.body = name;
    for (size_t i = 0; i < params.size(); ++i) {
      resp.body += " " + std::string(params.name(i)) + "=" + std::string(params.value(i));
    }
  };
}

Response Route(const Router& router, std::string method, std::string path) {
  Response resp;
  router.Dispatch(MakeRequest(std::move(method), std::move(path)), resp);
  return resp;
}

std::string AllowOf(const Response& resp) {
  for (const auto& [name, value] : resp.headers) {
    if (name == "Allow") return value;
  }
  return "<none>";
}

TEST(RouterTest, ExactPathMatches) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/health", Named("health")).ok());
  ASSERT_TRUE(router.Add("GET", "/", Named("root")).ok());
  EXPECT_EQ(Route(router, "GET", "/health").body, "health");
  EXPECT_EQ(Route(router, "GET", "/").body, "root");
  EXPECT_EQ(Route(router, "GET", "/health/").status, 404);
  EXPECT_EQ(Route(router, "GET", "/healthz").status, 404);
  EXPECT_EQ(Route(router, "GET", "*").status, 404);
}

TEST(RouterTest, CapturesAndDecodesParameters) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/v1/{ns}/ids/{id}/decode", Named("decode")).ok());
  EXPECT_EQ(Route(router, "GET", "/v1/orders/ids/42/decode").body, "decode ns=orders id=42");
  EXPECT_EQ(Route(router, "GET", "/v1/a%20b/ids/x%2Fy+z/decode").body, "decode ns=a b id=x/y+z");
  EXPECT_EQ(Route(router, "GET", "/v1//ids/42/decode").status, 404);  // empty segment
  EXPECT_EQ(Route(router, "GET", "/v1/a/ids/42").status, 404);
}

TEST(RouterTest, ParamsGetFindsByName) {
  Router router;
  std::string seen;
  ASSERT_TRUE(router
                  .Add("GET", "/a/{x}/{y}",
                       [&seen](const Request&, const PathParams& params, Response&) {
                         seen = std::string(*params.Get("y")) + std::string(*params.Get("x"));
                         EXPECT_EQ(params.Get("z"), std::nullopt);
                       })
                  .ok());
  Route(router, "GET", "/a/1/2");
  EXPECT_EQ(seen, "21");
}

TEST(RouterTest, BadEscapeInParameterGets400) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/ids/{id}", Named("id")).ok());
  const Response resp = Route(router, "GET", "/ids/%G0");
  EXPECT_EQ(resp.status, 400);
  EXPECT_THAT(resp.body, HasSubstr("percent-encoding"));
}

TEST(RouterTest, UnknownPathGets404) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/v1/ids", Named("ids")).ok());
  const Response resp = Route(router, "GET", "/v2/ids");
  EXPECT_EQ(resp.status, 404);
  EXPECT_EQ(resp.content_type, "text/plain; charset=utf-8");
  EXPECT_THAT(resp.body, HasSubstr("404 Not Found"));
  EXPECT_EQ(AllowOf(resp), "<none>");
}

TEST(RouterTest, WrongMethodGets405WithAllow) {
  Router router;
  ASSERT_TRUE(router.Add("POST", "/v1/ids", Named("post")).ok());
  ASSERT_TRUE(router.Add("GET", "/v1/ids", Named("get")).ok());
  ASSERT_TRUE(router.Add("DELETE", "/v1/{thing}", Named("delete")).ok());
  const Response resp = Route(router, "PUT", "/v1/ids");
  EXPECT_EQ(resp.status, 405);
  EXPECT_EQ(AllowOf(resp), "DELETE, GET, HEAD, POST");
  EXPECT_THAT(resp.body, HasSubstr("method PUT is not allowed"));
}

TEST(RouterTest, HeadFallsBackToGet) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/x", Named("get")).ok());
  EXPECT_EQ(Route(router, "HEAD", "/x").body, "get");
  ASSERT_TRUE(router.Add("HEAD", "/x", Named("head")).ok());
  EXPECT_EQ(Route(router, "HEAD", "/x").body, "head");
}

TEST(RouterTest, DisableHeadGives405WithoutHeadInAllow) {
  Router router;
  int gets = 0;
  ASSERT_TRUE(
      router
          .Add("GET", "/v1/ids", [&gets](const Request&, const PathParams&, Response&) { ++gets; })
          .ok());
  ASSERT_TRUE(router.Add("POST", "/v1/ids", Named("post")).ok());
  ASSERT_TRUE(router.DisableHead("/v1/ids").ok());
  const Response resp = Route(router, "HEAD", "/v1/ids");
  EXPECT_EQ(resp.status, 405);
  EXPECT_EQ(AllowOf(resp), "GET, POST");
  EXPECT_EQ(gets, 0);
  EXPECT_EQ(AllowOf(Route(router, "PUT", "/v1/ids")), "GET, POST");
  EXPECT_EQ(router.RouteOf("HEAD", "/v1/ids"), "");
  EXPECT_EQ(router.DisableHead("/v1/nope").code(), absl::StatusCode::kNotFound);
}

TEST(RouterTest, LiteralSegmentBeatsParameter) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/v1/ids/{id}", Named("param")).ok());
  ASSERT_TRUE(router.Add("GET", "/v1/ids/next", Named("literal")).ok());
  ASSERT_TRUE(router.Add("POST", "/v1/ids/batch", Named("batch")).ok());
  EXPECT_EQ(Route(router, "GET", "/v1/ids/next").body, "literal");
  EXPECT_EQ(Route(router, "GET", "/v1/ids/7").body, "param id=7");
  // The literal pattern has no GET, so the parameter pattern serves it.
  EXPECT_EQ(Route(router, "GET", "/v1/ids/batch").body, "param id=batch");
  EXPECT_EQ(Route(router, "POST", "/v1/ids/batch").body, "batch");
}

TEST(RouterTest, RejectsMalformedRoutes) {
  Router router;
  for (const char* pattern : {"", "v1/ids", "/v1/{id", "/v1/id}", "/v1/x{id}", "/v1/{}", "/v1/{1d}",
                              "/v1/{a}/{a}", "/v1?x", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}"}) {
    const absl::Status s = router.Add("GET", pattern, Named("x"));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << pattern;
  }
  EXPECT_EQ(router.Add("", "/x", Named("x")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Add("G T", "/x", Named("x")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Add("GET", "/x", nullptr).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(router.routes().empty());
}

TEST(RouterTest, RejectsDuplicatesAndRenamedShapes) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/ids/{id}", Named("a")).ok());
  EXPECT_EQ(router.Add("GET", "/ids/{id}", Named("b")).code(), absl::StatusCode::kAlreadyExists);
  const absl::Status renamed = router.Add("DELETE", "/ids/{key}", Named("c"));
  EXPECT_EQ(renamed.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(renamed.message(), HasSubstr("same parameter names"));
  EXPECT_TRUE(router.Add("DELETE", "/ids/{id}", Named("d")).ok());
}

TEST(RouterTest, ListsRoutesInRegistrationOrder) {
  Router router;
  ASSERT_TRUE(router.Add("POST", "/v1/ids", Named("a")).ok());
  ASSERT_TRUE(router.Add("GET", "/v1/ids/{id}/decode", Named("b")).ok());
  ASSERT_TRUE(router.Add("GET", "/v1/ids", Named("c")).ok());
  std::vector<std::string> listed;
  for (const Router::Route& r : router.routes()) listed.push_back(r.method + " " + r.pattern);
  EXPECT_THAT(listed, ElementsAre("POST /v1/ids", "GET /v1/ids/{id}/decode", "GET /v1/ids"));
}

TEST(RouterTest, CustomErrorWriterIsUsedAndAllowStillSet) {
  Router router([](int status, std::string_view detail, Response& resp) {
    resp.status = status;
    resp.content_type = "application/problem+json";
    resp.body =
        "{\"status\":" + std::to_string(status) + ",\"detail\":\"" + std::string(detail) + "\"}";
  });
  ASSERT_TRUE(router.Add("GET", "/x", Named("x")).ok());
  const Response not_found = Route(router, "GET", "/y");
  EXPECT_EQ(not_found.content_type, "application/problem+json");
  EXPECT_EQ(not_found.body, "{\"status\":404,\"detail\":\"no route for path \"/y\"\"}");
  const Response not_allowed = Route(router, "POST", "/x");
  EXPECT_EQ(not_allowed.status, 405);
  EXPECT_EQ(not_allowed.content_type, "application/problem+json");
  EXPECT_EQ(AllowOf(not_allowed), "GET, HEAD");
}

}  // namespace
}  // namespace idgen::http
