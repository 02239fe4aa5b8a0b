// Copyright idgen authors.
//
// HttpPost: a minimal blocking HTTP/1.1 client for OTLP/HTTP: one POST per
// call on a fresh connection, plain http:// only, the whole exchange
// (resolve, connect, write, read) bounded by one timeout.
//
// Thread-safety: each call is independent; may be called concurrently.
#ifndef IDGEN_TELEMETRY_HTTP_POST_H_
#define IDGEN_TELEMETRY_HTTP_POST_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace idgen::telemetry {

struct HttpUrl {
  std::string host;
  std::string port;
  std::string target;  // path and query, "/" when empty
};

// Parses "http://host[:port][/path]" (IPv6 hosts in brackets). Errors:
// INVALID_ARGUMENT naming what is wrong.
[[nodiscard]] absl::StatusOr<HttpUrl> ParseHttpUrl(const std::string& url);

struct HttpResult {
  int status = 0;
  std::string body;
};

// Asked every few milliseconds while a POST runs; once it returns true the
// exchange is abandoned (the connection closed). Empty: never.
using AbandonFn = std::function<bool()>;

// POSTs `body` to `url`. Errors: INVALID_ARGUMENT (bad URL),
// DEADLINE_EXCEEDED (timeout), CANCELLED (`abandon` said so), UNAVAILABLE
// (connection failed).
[[nodiscard]] absl::StatusOr<HttpResult> HttpPost(
    const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
    const std::string& content_type, std::string body, absl::Duration timeout,
    const AbandonFn& abandon = {});

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_HTTP_POST_H_
