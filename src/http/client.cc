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
#include <boost/beast/ssl.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/config/endpoint.h"
#include "src/http/client_tls.h"

namespace idgen::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// A header larger than this is refused even when the body limit is larger.
constexpr size_t kMaxHeaderBytes = 64 * 1024;

// The URL as the one address parser reads it: a scheme is required, the
// port defaults to the scheme's.
absl::StatusOr<config::Endpoint> ParseUrl(const std::string& url) {
  absl::StatusOr<config::Endpoint> e = config::ParseEndpoint(url, {.require_scheme = true});
  if (e.ok() && e->scheme == config::Scheme::kUnix) {
    e = absl::InvalidArgumentError("expected http[s]://HOST[:PORT][/PATH]");
  }
  if (!e.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("URL \"", url, "\": ", e.status().message()));
  }
  if (e->path.empty() || e->path.front() != '/') e->path.insert(0, "/");
  return e;
}

// One request's state, shared by the asynchronous steps below.
struct Exchange {
  bhttp::response_parser<bhttp::string_body> parser;
  beast::flat_buffer buffer;
  beast::error_code failure;
  size_t max_response_bytes = 0;
  bool done = false;
};

// Writes `req` on `stream` (plain or TLS, connected) and reads the answer
// into `x`.
template <class Stream>
void WriteAndRead(Stream& stream, bhttp::request<bhttp::string_body>& req, Exchange& x) {
  bhttp::async_write(stream, req, [&stream, &x](beast::error_code ec, size_t) {
    if (ec) {
      x.failure = ec;
      return;
    }
    bhttp::async_read_header(
        stream, x.buffer, x.parser, [&stream, &x](beast::error_code ec2, size_t) {
          // Beast 1.74 does not hold an announced Content-Length to
          // body_limit when it parses eagerly; this check does.
          const auto length = x.parser.content_length();
          if (!ec2 && length.has_value() && *length > x.max_response_bytes) {
            ec2 = bhttp::error::body_limit;
          }
          if (ec2) {
            x.failure = ec2;
            return;
          }
          bhttp::async_read(stream, x.buffer, x.parser, [&x](beast::error_code ec3, size_t) {
            x.failure = ec3;
            x.done = !ec3;
          });
        });
  });
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
  const bool tls = t.scheme == config::Scheme::kHttps;
  if (!tls && options_.tls.enabled()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": this client is configured for TLS (CA ", options_.tls.ca_file,
                     "); refusing to send in plaintext to an http:// URL"));
  }
  std::shared_ptr<ssl::context> tls_context;
  if (tls) {
    absl::StatusOr<std::shared_ptr<ssl::context>> ctx = MakeClientTlsContext(options_.tls);
    if (!ctx.ok()) {
      return absl::Status(ctx.status().code(), absl::StrCat(what, ": ", ctx.status().message()));
    }
    tls_context = *std::move(ctx);
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
  Exchange x;
  x.max_response_bytes = options_.max_response_bytes;
  x.parser.header_limit(
      static_cast<uint32_t>(std::min(options_.max_response_bytes, kMaxHeaderBytes)));
  x.parser.body_limit(options_.max_response_bytes);
  x.parser.skip(request.method == "HEAD");

  // Asynchronous operations on a private io_context, run for at most the
  // timeout: a server that hangs costs this call the timeout, no more.
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  if (tls) {
    secure.emplace(ioc, *tls_context);
    if (absl::Status s =
            PrepareTlsConnection(secure->native_handle(), t.host, options_.tls.server_name);
        !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": ", s.message()));
    }
  } else {
    plain.emplace(ioc);
  }
  beast::tcp_stream& socket = tls ? beast::get_lowest_layer(*secure) : *plain;
  const auto timeout = absl::ToChronoMilliseconds(options_.timeout);
  const auto end = std::chrono::steady_clock::now() + timeout;
  socket.expires_after(timeout);
  bool handshake_failed = false;
  resolver.async_resolve(
      t.host, std::to_string(t.port),
      [&](beast::error_code ec, const tcp::resolver::results_type& r) {
        if (ec) {
          x.failure = ec;
          return;
        }
        socket.async_connect(r, [&](beast::error_code ec2, const tcp::endpoint&) {
          if (ec2) {
            x.failure = ec2;
            return;
          }
          if (!tls) {
            WriteAndRead(*plain, req, x);
            return;
          }
          secure->async_handshake(ssl::stream_base::client, [&](beast::error_code ec3) {
            if (ec3) {
              x.failure = ec3;
              handshake_failed = true;
              return;
            }
            WriteAndRead(*secure, req, x);
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
  if (!x.done && abandoned) return absl::CancelledError(absl::StrCat(what, ": abandoned"));
  if (!x.done) {
    if (x.failure == bhttp::error::body_limit || x.failure == bhttp::error::header_limit) {
      return absl::ResourceExhaustedError(absl::StrCat(what, ": the response is larger than ",
                                                       options_.max_response_bytes, " bytes"));
    }
    if (!x.failure || x.failure == beast::error::timeout ||
        x.failure == asio::error::operation_aborted) {
      return absl::DeadlineExceededError(
          absl::StrCat(what, ": no answer within ", absl::FormatDuration(options_.timeout)));
    }
    if (tls) {
      const std::string refusal =
          CertificateRefusal(secure->native_handle(), options_.tls,
                             options_.tls.server_name.empty() ? t.host : options_.tls.server_name);
      if (!refusal.empty()) {
        return absl::UnavailableError(absl::StrCat(what, ": TLS handshake failed: ", refusal));
      }
      // A server that requires a client certificate says so here (under
      // TLS 1.3 after the handshake): "tlsv13 alert certificate required".
      return absl::UnavailableError(absl::StrCat(
          what, ": ", handshake_failed ? "TLS handshake failed: " : "TLS: ", x.failure.message()));
    }
    return absl::UnavailableError(absl::StrCat(what, ": ", x.failure.message()));
  }
  beast::error_code ignored;
  // Connection: close, and the whole answer is read: no TLS close_notify
  // exchange is needed (it could only cost time).
  socket.socket().shutdown(tcp::socket::shutdown_both, ignored);
  bhttp::response<bhttp::string_body> res = x.parser.release();
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
