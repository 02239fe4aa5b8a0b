// Copyright idgen authors.
#include "src/http/client.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/config/endpoint.h"

namespace idgen::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

// A header larger than this is refused even when the body limit is larger.
constexpr size_t kMaxHeaderBytes = 64 * 1024;

// The URL as the one address parser reads it: a scheme is required, the
// port defaults to the scheme's.
absl::StatusOr<config::Endpoint> ParseUrl(const std::string& url) {
  absl::StatusOr<config::Endpoint> e = config::ParseEndpoint(url, {.require_scheme = true});
  if (e.ok() && e->scheme == config::Scheme::kUnix) {
    e = absl::InvalidArgumentError("expected http://HOST[:PORT][/PATH]");
  }
  if (!e.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("URL \"", url, "\": ", e.status().message()));
  }
  if (e->path.empty() || e->path.front() != '/') e->path.insert(0, "/");
  return e;
}

}  // namespace

std::string HttpReply::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, absl::string_view(name.data(), name.size()))) return v;
  }
  return "";
}

absl::StatusOr<HttpReply> HttpClient::Send(const HttpRequest& request,
                                           const AbandonFn& abandon) const {
  const std::string what = absl::StrCat(request.method, " ", request.url);
  absl::StatusOr<config::Endpoint> parsed = ParseUrl(request.url);
  if (!parsed.ok()) return parsed.status();
  const config::Endpoint& t = *parsed;
  if (t.scheme == config::Scheme::kHttps) {
    // The one place HTTPS goes: wrap the stream below in an SSL stream.
    return absl::UnimplementedError(absl::StrCat(what, ": https is not supported yet"));
  }

  bhttp::request<bhttp::string_body> req;
  req.version(11);
  req.method_string(request.method);
  req.target(t.path);
  req.set(bhttp::field::host, t.HostPort());
  req.set(bhttp::field::user_agent, options_.user_agent);
  req.set(bhttp::field::connection, "close");
  for (const auto& [k, v] : request.headers) req.set(k, v);
  req.body() = request.body;
  if (!request.body.empty() || (request.method != "GET" && request.method != "HEAD")) {
    req.prepare_payload();
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(
      static_cast<uint32_t>(std::min(options_.max_response_bytes, kMaxHeaderBytes)));
  parser.body_limit(options_.max_response_bytes);
  parser.skip(request.method == "HEAD");

  // Asynchronous operations on a private io_context, run for at most the
  // timeout: a server that hangs costs this call the timeout, no more.
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  beast::flat_buffer buffer;
  beast::error_code failure;
  bool done = false;
  const auto timeout = absl::ToChronoMilliseconds(options_.timeout);
  const auto end = std::chrono::steady_clock::now() + timeout;
  stream.expires_after(timeout);
  resolver.async_resolve(
      t.host, std::to_string(t.port),
      [&](beast::error_code ec, const tcp::resolver::results_type& r) {
        if (ec) {
          failure = ec;
          return;
        }
        stream.async_connect(r, [&](beast::error_code ec2, const tcp::endpoint&) {
          if (ec2) {
            failure = ec2;
            return;
          }
          bhttp::async_write(stream, req, [&](beast::error_code ec3, size_t) {
            if (ec3) {
              failure = ec3;
              return;
            }
            bhttp::async_read_header(stream, buffer, parser, [&](beast::error_code ec4, size_t) {
              // Beast 1.74 does not hold an announced Content-Length to
              // body_limit when it parses eagerly; this check does.
              const auto length = parser.content_length();
              if (!ec4 && length.has_value() && *length > options_.max_response_bytes) {
                ec4 = bhttp::error::body_limit;
              }
              if (ec4) {
                failure = ec4;
                return;
              }
              bhttp::async_read(stream, buffer, parser, [&](beast::error_code ec5, size_t) {
                failure = ec5;
                done = !ec5;
              });
            });
          });
        });
      });
  // In slices, so that `abandon` is heard while the server is silent.
  bool abandoned = false;
  while (!ioc.stopped()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= end) break;
    if (abandon && abandon()) {
      abandoned = true;
      break;
    }
    ioc.run_for(
        std::min<std::chrono::steady_clock::duration>(end - now, std::chrono::milliseconds(20)));
  }
  if (!done && abandoned) return absl::CancelledError(absl::StrCat(what, ": abandoned"));
  if (!done) {
    if (failure == bhttp::error::body_limit || failure == bhttp::error::header_limit) {
      return absl::ResourceExhaustedError(absl::StrCat(what, ": the response is larger than ",
                                                       options_.max_response_bytes, " bytes"));
    }
    if (!failure || failure == beast::error::timeout || failure == asio::error::operation_aborted) {
      return absl::DeadlineExceededError(
          absl::StrCat(what, ": no answer within ", absl::FormatDuration(options_.timeout)));
    }
    return absl::UnavailableError(absl::StrCat(what, ": ", failure.message()));
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  bhttp::response<bhttp::string_body> res = parser.release();
  HttpReply reply;
  reply.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    reply.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  reply.body = std::move(res.body());
  return reply;
}

absl::StatusOr<HttpReply> HttpClient::Get(const std::string& url) const {
  return Send(HttpRequest{.method = "GET", .url = url});
}

absl::StatusOr<HttpReply> HttpClient::Post(const std::string& url, const std::string& content_type,
                                           std::string body, HeaderList headers,
                                           const AbandonFn& abandon) const {
  HttpRequest req{
      .method = "POST", .url = url, .headers = std::move(headers), .body = std::move(body)};
  req.headers.emplace_back("Content-Type", content_type);
  return Send(req, abandon);
}

}  // namespace idgen::http
