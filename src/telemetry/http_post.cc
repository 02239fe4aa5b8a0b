// Copyright idgen authors.
#include "src/telemetry/http_post.h"

#include <algorithm>
#include <chrono>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/str_cat.h"
#include "src/base/status_macros.h"

namespace idgen::telemetry {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

}  // namespace

absl::StatusOr<HttpUrl> ParseHttpUrl(const std::string& url) {
  std::string_view rest = url;
  if (!rest.starts_with("http://")) {
    return absl::InvalidArgumentError(absl::StrCat("URL \"", url, "\": expected http://"));
  }
  rest.remove_prefix(7);
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  HttpUrl out;
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  out.port = "80";
  if (authority.starts_with("[")) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("URL \"", url, "\": unclosed '['"));
    }
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (after.starts_with(":")) out.port = std::string(after.substr(1));
  } else {
    const size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) out.port = std::string(authority.substr(colon + 1));
  }
  if (out.host.empty() || out.port.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("URL \"", url, "\": no host or port"));
  }
  return out;
}

absl::StatusOr<HttpResult> HttpPost(const std::string& url,
                                    const std::vector<std::pair<std::string, std::string>>& headers,
                                    const std::string& content_type, std::string body,
                                    absl::Duration timeout, const AbandonFn& abandon) {
  absl::StatusOr<HttpUrl> parsed = ParseHttpUrl(url);
  if (!parsed.ok()) return parsed.status();
  const HttpUrl& u = *parsed;

  // Asynchronous operations on a private io_context, run for at most
  // `timeout`: a hanging collector costs this call the timeout, no more.
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  http::request<http::string_body> req(http::verb::post, u.target, 11);
  req.set(http::field::host, u.host + ":" + u.port);
  req.set(http::field::content_type, content_type);
  req.set(http::field::user_agent, "idgen-telemetry");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = std::move(body);
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  beast::error_code failure;
  bool done = false;

  const auto chrono_timeout = absl::ToChronoMilliseconds(timeout);
  stream.expires_after(chrono_timeout);
  resolver.async_resolve(
      u.host, u.port, [&](beast::error_code ec, const tcp::resolver::results_type& r) {
        if (ec) {
          failure = ec;
          return;
        }
        stream.async_connect(r, [&](beast::error_code ec2, const tcp::endpoint&) {
          if (ec2) {
            failure = ec2;
            return;
          }
          http::async_write(stream, req, [&](beast::error_code ec3, size_t) {
            if (ec3) {
              failure = ec3;
              return;
            }
            http::async_read(stream, buffer, res, [&](beast::error_code ec4, size_t) {
              failure = ec4;
              done = !ec4;
            });
          });
        });
      });
  // In slices, so that `abandon` is heard while the collector is silent.
  const auto end =
      std::chrono::steady_clock::now() + chrono_timeout + std::chrono::milliseconds(100);
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
  if (!done && abandoned) {
    return absl::CancelledError(absl::StrCat("POST ", url, ": abandoned (shutting down)"));
  }
  if (!done) {
    if (!failure || failure == beast::error::timeout || failure == asio::error::operation_aborted) {
      return absl::DeadlineExceededError(
          absl::StrCat("POST ", url, ": no answer within ", absl::FormatDuration(timeout)));
    }
    return absl::UnavailableError(absl::StrCat("POST ", url, ": ", failure.message()));
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return HttpResult{static_cast<int>(res.result_int()), std::move(res.body())};
}

}  // namespace idgen::telemetry
