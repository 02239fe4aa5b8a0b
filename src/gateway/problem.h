// Copyright idgen authors.
//
// Problem: an RFC 9457 problem details object, the body of every error the
// gateway answers (Content-Type application/problem+json), and the mapping
// from gRPC status codes of the backends to HTTP statuses.
//
// Every problem has `type` (a URN naming the kind, "urn:idgen:problem:<slug>"),
// `title` (fixed per type), `status` and `detail` (what went wrong this
// time); backend errors also carry `grpc_status` (the gRPC code name).
//
// The gRPC mapping follows google.rpc's HTTP mapping (AIP-193):
//   INVALID_ARGUMENT, OUT_OF_RANGE, FAILED_PRECONDITION -> 400
//   NOT_FOUND 404, ALREADY_EXISTS/ABORTED 409, RESOURCE_EXHAUSTED 429,
//   UNIMPLEMENTED 501, PERMISSION_DENIED and UNAUTHENTICATED 502 (a node
//   refused the gateway itself, e.g. its certificate is not among the node's
//   --tls-allowed-clients: nothing the caller can fix), UNAVAILABLE and
//   CANCELLED 503, DEADLINE_EXCEEDED 504, anything else 500.
//
// Thread-safety: pure functions.
#ifndef IDGEN_GATEWAY_PROBLEM_H_
#define IDGEN_GATEWAY_PROBLEM_H_

#include <string>
#include <string_view>

#include "src/http/http_server.h"

namespace idgen::gateway {

inline constexpr std::string_view kProblemContentType = "application/problem+json";

struct Problem {
  int status = 500;
  std::string slug;  // "invalid-parameter": type is "urn:idgen:problem:" + slug
  std::string title;
  std::string detail;
  std::string grpc_status;  // e.g. "UNAVAILABLE"; empty unless from a backend
};

// The problem for a client error found by the gateway itself.
Problem BadParameter(std::string detail);          // 400 invalid-parameter
Problem BatchLimit(std::string detail);            // 429 batch-limit
Problem Overloaded(std::string detail);            // 429 overloaded (too many calls in flight)
Problem UnsupportedMediaType(std::string detail);  // 415 unsupported-media-type

// The problem for a failed backend call with gRPC code `grpc_code` (0..16)
// and message `message`.
Problem FromGrpc(int grpc_code, std::string_view message);

// The HTTP status for gRPC code `grpc_code` (see the file comment).
int HttpStatusForGrpc(int grpc_code);

// The gRPC code name ("INVALID_ARGUMENT") of `grpc_code`, "UNKNOWN" if none.
std::string_view GrpcCodeName(int grpc_code);

// The JSON text of `p`.
std::string ProblemJson(const Problem& p);

// Replaces `resp` with `p` (status, content type, body; headers kept).
void WriteProblem(const Problem& p, http::Response& resp);

// An http::ErrorWriter for the errors HttpServer and Router answer
// themselves (400, 404, 405, 413, 431, 500, 501), as problem+json.
void WriteHttpError(int status, std::string_view detail, http::Response& resp);

}  // namespace idgen::gateway

#endif  // IDGEN_GATEWAY_PROBLEM_H_
