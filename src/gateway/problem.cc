// Copyright idgen authors.
#include "src/gateway/problem.h"

#include <array>
#include <utility>

#include <nlohmann/json.hpp>

#include "src/base/grpc_code_names.h"

namespace idgen::gateway {
namespace {

Problem Make(int status, std::string slug, std::string title, std::string detail) {
  Problem p;
  p.status = status;
  p.slug = std::move(slug);
  p.title = std::move(title);
  p.detail = std::move(detail);
  return p;
}

// Slug and title of the problems HttpServer and Router report.
std::pair<std::string, std::string> HttpErrorKind(int status) {
  switch (status) {
    case 400:
      return {"malformed-request", "Malformed request"};
    case 404:
      return {"not-found", "No such resource"};
    case 405:
      return {"method-not-allowed", "Method not allowed"};
    case 413:
      return {"body-too-large", "Request body too large"};
    case 431:
      return {"header-too-large", "Request header fields too large"};
    case 501:
      return {"not-implemented", "Not implemented"};
    default:
      return {"internal", "Internal error"};
  }
}

}  // namespace

Problem BadParameter(std::string detail) {
  return Make(400, "invalid-parameter", "Invalid request parameter", std::move(detail));
}

Problem BatchLimit(std::string detail) {
  return Make(429, "batch-limit", "Too many IDs in one request", std::move(detail));
}

Problem UnsupportedMediaType(std::string detail) {
  return Make(415, "unsupported-media-type", "Unsupported media type", std::move(detail));
}

Problem Overloaded(std::string detail) {
  return Make(429, "overloaded", "Too many requests in flight", std::move(detail));
}

std::string_view GrpcCodeName(int grpc_code) {
  const std::string_view name = ::idgen::GrpcCodeName(grpc_code);
  return name.empty() ? "UNKNOWN" : name;
}

int HttpStatusForGrpc(int grpc_code) {
  switch (grpc_code) {
    case 0:
      return 200;
    case 3:   // INVALID_ARGUMENT
    case 9:   // FAILED_PRECONDITION
    case 11:  // OUT_OF_RANGE
      return 400;
    case 16:  // UNAUTHENTICATED
    case 7:   // PERMISSION_DENIED
      return 502;
    case 5:  // NOT_FOUND
      return 404;
    case 6:   // ALREADY_EXISTS
    case 10:  // ABORTED
      return 409;
    case 8:  // RESOURCE_EXHAUSTED
      return 429;
    case 12:  // UNIMPLEMENTED
      return 501;
    case 1:   // CANCELLED
    case 14:  // UNAVAILABLE
      return 503;
    case 4:  // DEADLINE_EXCEEDED
      return 504;
    default:  // UNKNOWN, INTERNAL, DATA_LOSS, out of range
      return 500;
  }
}

Problem FromGrpc(int grpc_code, std::string_view message) {
  const int status = HttpStatusForGrpc(grpc_code);
  std::string slug;
  std::string title;
  switch (status) {
    case 400:
      slug = "backend-rejected";
      title = "The ID service rejected the request";
      break;
    case 429:
      slug = "backend-limit";
      title = "A limit of the ID service was hit";
      break;
    case 502:
      slug = "backend-refused";
      title = "An ID service node refused the gateway";
      break;
    case 503:
      slug = "backend-unavailable";
      title = "No ID service node is available";
      break;
    case 504:
      slug = "backend-timeout";
      title = "The ID service did not answer in time";
      break;
    default:
      slug = "backend-error";
      title = "The ID service failed";
      break;
  }
  Problem p = Make(status, std::move(slug), std::move(title), std::string(message));
  if (p.detail.empty()) p.detail = std::string(GrpcCodeName(grpc_code));
  p.grpc_status = std::string(GrpcCodeName(grpc_code));
  return p;
}

std::string ProblemJson(const Problem& p) {
  nlohmann::ordered_json j;
  j["type"] = "urn:idgen:problem:" + p.slug;
  j["title"] = p.title;
  j["status"] = p.status;
  j["detail"] = p.detail;
  if (!p.grpc_status.empty()) j["grpc_status"] = p.grpc_status;
  // Invalid UTF-8 (echoed user input) is replaced rather than thrown about.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void WriteProblem(const Problem& p, http::Response& resp) {
  resp.status = p.status;
  resp.content_type = std::string(kProblemContentType);
  resp.body = ProblemJson(p);
}

void WriteHttpError(int status, std::string_view detail, http::Response& resp) {
  auto [slug, title] = HttpErrorKind(status);
  WriteProblem(Make(status, std::move(slug), std::move(title), std::string(detail)), resp);
}

}  // namespace idgen::gateway
