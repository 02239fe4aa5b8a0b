// Copyright idgen authors.
#include "src/gateway/problem.h"

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"

namespace idgen::gateway {
namespace {

TEST(ProblemTest, GrpcCodesMapToHttpStatuses) {
  EXPECT_EQ(HttpStatusForGrpc(0), 200);
  EXPECT_EQ(HttpStatusForGrpc(3), 400);   // INVALID_ARGUMENT
  EXPECT_EQ(HttpStatusForGrpc(9), 400);   // FAILED_PRECONDITION
  EXPECT_EQ(HttpStatusForGrpc(11), 400);  // OUT_OF_RANGE
  EXPECT_EQ(HttpStatusForGrpc(5), 404);   // NOT_FOUND
  EXPECT_EQ(HttpStatusForGrpc(7), 502);   // PERMISSION_DENIED: the node refused the gateway
  EXPECT_EQ(HttpStatusForGrpc(16), 502);  // UNAUTHENTICATED: likewise
  EXPECT_EQ(FromGrpc(7, "not allowed").slug, "backend-refused");
  EXPECT_EQ(HttpStatusForGrpc(6), 409);   // ALREADY_EXISTS
  EXPECT_EQ(HttpStatusForGrpc(8), 429);   // RESOURCE_EXHAUSTED
  EXPECT_EQ(HttpStatusForGrpc(12), 501);  // UNIMPLEMENTED
  EXPECT_EQ(HttpStatusForGrpc(14), 503);  // UNAVAILABLE
  EXPECT_EQ(HttpStatusForGrpc(1), 503);   // CANCELLED
  EXPECT_EQ(HttpStatusForGrpc(4), 504);   // DEADLINE_EXCEEDED
  EXPECT_EQ(HttpStatusForGrpc(13), 500);  // INTERNAL
  EXPECT_EQ(HttpStatusForGrpc(2), 500);   // UNKNOWN
  EXPECT_EQ(HttpStatusForGrpc(99), 500);
}

TEST(ProblemTest, FromGrpcKeepsMessageAndCodeName) {
  const Problem p = FromGrpc(14, "failed to connect to all addresses");
  EXPECT_EQ(p.status, 503);
  EXPECT_EQ(p.slug, "backend-unavailable");
  EXPECT_EQ(p.grpc_status, "UNAVAILABLE");
  EXPECT_EQ(p.detail, "failed to connect to all addresses");
  EXPECT_EQ(FromGrpc(4, "").detail, "DEADLINE_EXCEEDED");  // never an empty detail
}

TEST(ProblemTest, JsonHasTheFourRfc9457MembersAndEscapes) {
  Problem p = BadParameter("count \"x\"\n");
  const nlohmann::json j = nlohmann::json::parse(ProblemJson(p));
  EXPECT_EQ(j["type"], "urn:idgen:problem:invalid-parameter");
  EXPECT_EQ(j["title"], "Invalid request parameter");
  EXPECT_EQ(j["status"], 400);
  EXPECT_EQ(j["detail"], "count \"x\"\n");
  EXPECT_FALSE(j.contains("grpc_status"));
}

TEST(ProblemTest, InvalidUtf8InDetailIsReplacedNotThrown) {
  const nlohmann::json j = nlohmann::json::parse(ProblemJson(BadParameter("bad \xff byte")));
  EXPECT_EQ(j["status"], 400);
}

TEST(ProblemTest, HttpErrorsBecomeProblemsAndKeepHeaders) {
  http::Response resp;
  resp.headers.emplace_back("Allow", "GET");
  WriteHttpError(405, "method POST is not allowed", resp);
  EXPECT_EQ(resp.status, 405);
  EXPECT_EQ(resp.content_type, "application/problem+json");
  EXPECT_EQ(resp.headers.size(), 1u);
  const nlohmann::json j = nlohmann::json::parse(resp.body);
  EXPECT_EQ(j["type"], "urn:idgen:problem:method-not-allowed");
  for (int status : {400, 404, 413, 431, 500}) {
    WriteHttpError(status, "x", resp);
    EXPECT_EQ(nlohmann::json::parse(resp.body)["status"], status);
  }
}

TEST(ProblemTest, UnimplementedTransferCodingIsNotImplemented) {
  http::Response resp;
  WriteHttpError(501, "Transfer-Encoding: only chunked is implemented", resp);
  const nlohmann::json j = nlohmann::json::parse(resp.body);
  EXPECT_EQ(resp.status, 501);
  EXPECT_EQ(j["type"], "urn:idgen:problem:not-implemented");
  EXPECT_EQ(j["title"], "Not implemented");
}

TEST(ProblemTest, UnsupportedMediaTypeIs415) {
  const Problem p = UnsupportedMediaType("send application/json");
  EXPECT_EQ(p.status, 415);
  EXPECT_EQ(p.slug, "unsupported-media-type");
}

TEST(ProblemTest, LimitsAre429) {
  EXPECT_EQ(BatchLimit("x").status, 429);
  EXPECT_EQ(Overloaded("x").status, 429);
  EXPECT_NE(BatchLimit("x").slug, Overloaded("x").slug);
}

}  // namespace
}  // namespace idgen::gateway
