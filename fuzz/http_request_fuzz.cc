// Copyright idgen authors.
//
// libFuzzer target: one HTTP/1.1 request as the gateway reads it, from the
// first byte to the answer:
//   * RequestParser (Boost.Beast) with the server's default limits, fed the
//     input in pieces whose sizes come from the input's first byte (a
//     request arrives in any number of reads);
//   * ParseTarget (path and percent-decoded query);
//   * a Router with the gateway's routes, whose ID endpoints call what the
//     gateway calls: ParseIdsQuery, IsJsonMediaType + ParseIdsBody,
//     ParseDecode; errors answered as problem+json (WriteHttpError,
//     WriteProblem), as the gateway does.
// Promises checked (http_server.h, router.h, id_request.h, problem.h):
//   * a refused header says why with 400, 431 (too large) or 501; nothing
//     refused is dispatched;
//   * every answer is one the server can send (InvalidResponse is empty);
//   * every problem+json body is valid JSON whose `status` is the answer's;
//   * a parsed ID request has a valid namespace and 1 <= count <= max.
// The Authorization header is looked up as the routes do; its bearer
// token and the key file are fuzzed by auth_fuzz.
//
// Run:  build/fuzz/bin/http_request_fuzz -max_total_time=60 CORPUS_DIR
// fuzz/corpus/http_request_fuzz
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "fuzz/fuzz_check.h"
#include "idgen/codec.h"
#include "src/gateway/id_request.h"
#include "src/gateway/json_body.h"
#include "src/gateway/problem.h"
#include "src/http/http_server.h"
#include "src/http/request_parser.h"
#include "src/http/router.h"
#include "src/http/wire.h"

namespace idgen {
namespace {

constexpr uint32_t kMaxCount = 10'000;     // GatewayOptions' default
constexpr size_t kMaxHeaderBytes = 8192;   // HttpServer::Options' default
constexpr size_t kMaxBodyBytes = 1 << 16;  // HttpServer::Options' default

using http::PathParams;
using http::Request;
using http::Response;

void CheckIds(const gateway::IdsRequest& ids) {
  FUZZ_CHECK(gateway::CheckNamespace(ids.ns).ok(), "namespace %s accepted", ids.ns.c_str());
  FUZZ_CHECK(ids.count >= 1 && ids.count <= kMaxCount, "count %u accepted", ids.count);
}

void WriteRequestError(const absl::Status& s, Response& resp) {
  gateway::WriteProblem(s.code() == absl::StatusCode::kResourceExhausted
                            ? gateway::BatchLimit(std::string(s.message()))
                            : gateway::BadParameter(std::string(s.message())),
                        resp);
}

// The gateway's routes (gateway.cc AddRoutes), with answers that need no
// backend.
http::Router& GatewayRouter() {
  static http::Router* router = [] {
    auto* r = new http::Router(gateway::WriteHttpError);
    absl::Status s =
        r->Add("GET", "/v1/ids", [](const Request& req, const PathParams&, Response& resp) {
          absl::StatusOr<gateway::IdsRequest> ids = gateway::ParseIdsQuery(req.query, kMaxCount);
          if (!ids.ok()) return WriteRequestError(ids.status(), resp);
          CheckIds(*ids);
          resp.body = FormatId(ids->count, ids->format);
        });
    if (s.ok()) {
      s = r->Add("POST", "/v1/ids", [](const Request& req, const PathParams&, Response& resp) {
        if (!gateway::IsJsonMediaType(req.Header("content-type"))) {
          gateway::WriteProblem(gateway::UnsupportedMediaType("send application/json"), resp);
          resp.headers.emplace_back("Accept-Post", "application/json");
          return;
        }
        if (!req.query.empty()) {
          return gateway::WriteProblem(gateway::BadParameter("parameters go in the body"), resp);
        }
        absl::StatusOr<gateway::IdsRequest> ids = gateway::ParseIdsBody(req.body, kMaxCount);
        if (!ids.ok()) return WriteRequestError(ids.status(), resp);
        CheckIds(*ids);
        resp.body = FormatId(ids->count, ids->format);
      });
    }
    if (s.ok()) s = r->DisableHead("/v1/ids");
    if (s.ok()) {
      s = r->Add(
          "GET", "/v1/ids/{id}/decode",
          [](const Request& req, const PathParams& params, Response& resp) {
            const std::string id_text(params.Get("id").value_or(""));
            absl::StatusOr<gateway::DecodeRequest> d = gateway::ParseDecode(id_text, req.query);
            if (!d.ok()) return WriteRequestError(d.status(), resp);
            FUZZ_CHECK(gateway::CheckNamespace(d->ns).ok(), "namespace %s accepted", d->ns.c_str());
            resp.body = "{}";
          });
    }
    for (const char* path :
         {"/v1/info", "/health", "/alive", "/metrics", "/openapi.json", "/docs", "/docs/{file}"}) {
      if (s.ok()) {
        s = r->Add("GET", path, [](const Request& req, const PathParams&, Response& resp) {
          // What an authenticating route reads first.
          resp.body = req.Header("authorization").has_value() ? "{\"auth\":1}" : "{}";
        });
      }
    }
    FUZZ_CHECK(s.ok(), "routes: %s", s.ToString().c_str());
    return r;
  }();
  return *router;
}

void CheckResponse(const Response& resp) {
  const std::string_view invalid = http::InvalidResponse(resp);
  FUZZ_CHECK(invalid.empty(), "unsendable response (%d): %.*s", resp.status,
             static_cast<int>(invalid.size()), invalid.data());
  if (resp.content_type == gateway::kProblemContentType) {
    const nlohmann::json j = nlohmann::json::parse(resp.body, nullptr, false);
    FUZZ_CHECK(j.is_object() && j.contains("status") && j["status"] == resp.status,
               "bad problem body for %d: %s", resp.status, resp.body.c_str());
  }
}

// Parses `data` into `req` in reads of `chunk` bytes, as a connection
// would. Returns the error that stopped the parse, if any.
boost::beast::error_code Parse(http::RequestParser& parser, std::string_view data, size_t chunk) {
  boost::beast::error_code ec;
  size_t offset = 0;
  size_t available = 0;  // bytes "read" so far and not yet consumed
  bool need_more = true;
  while (!parser.is_done()) {
    if (need_more) {
      if (offset + available == data.size()) {
        parser.put_eof(ec);
        return ec;
      }
      available = std::min(data.size() - offset, available + chunk);
    }
    ec = {};
    const size_t used = parser.put(boost::asio::buffer(data.data() + offset, available), ec);
    offset += used;
    available -= used;
    if (ec && ec != boost::beast::http::error::need_more) return ec;
    need_more = ec == boost::beast::http::error::need_more || used == 0 || available == 0;
  }
  return {};
}

}  // namespace
}  // namespace idgen

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace idgen;  // NOLINT(google-build-using-namespace)
  if (size == 0) return 0;
  const size_t chunk = data[0] == 0 ? size : data[0];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  Request req;
  http::RequestParser parser(&req);
  parser.header_limit(static_cast<std::uint32_t>(kMaxHeaderBytes));
  parser.body_limit(kMaxBodyBytes);
  parser.eager(true);
  const boost::beast::error_code ec = Parse(parser, input, chunk);

  Response resp;
  if (ec) {
    const int status = parser.rejection().status;
    FUZZ_CHECK(status == 0 || status == 400 || status == 501, "rejected with %d", status);
    gateway::WriteHttpError(status != 0                                     ? status
                            : ec == boost::beast::http::error::header_limit ? 431
                            : ec == boost::beast::http::error::body_limit   ? 413
                                                                            : 400,
                            ec.message(), resp);
    CheckResponse(resp);
    return 0;
  }
  FUZZ_CHECK(parser.rejection().status == 0, "rejected (%d) without an error",
             parser.rejection().status);
  FUZZ_CHECK(req.body.size() <= kMaxBodyBytes, "body of %zu bytes", req.body.size());
  const std::string_view bad_target = http::ParseTarget(req);
  if (!bad_target.empty()) {
    gateway::WriteHttpError(400, bad_target, resp);
  } else {
    FUZZ_CHECK(!req.path.empty() && (req.path[0] == '/' || req.path == "*"), "path %s",
               req.path.c_str());
    GatewayRouter().Dispatch(req, resp);
  }
  CheckResponse(resp);
  return 0;
}
