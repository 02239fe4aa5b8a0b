// Copyright idgen authors.
//
// HttpProbe: a minimal blocking HTTP/1.1 GET for health checks of local
// resources (GET http://127.0.0.1:PORT/health), bounded by a timeout over
// connect, send and receive. Not a general HTTP client: it reads until the
// server closes (Connection: close) or the body announced by Content-Length
// is complete, and keeps at most 64 KiB.
#ifndef IDGEN_APPHOST_HTTP_PROBE_H_
#define IDGEN_APPHOST_HTTP_PROBE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace idgen::apphost {

struct ProbeResult {
  int status = 0;  // HTTP status code
  std::string body;
};

// `url`: "http://HOST:PORT/PATH" with a numeric IPv4 host or "localhost".
// UNAVAILABLE when nothing answers in time; INVALID_ARGUMENT for a bad URL.
[[nodiscard]] absl::StatusOr<ProbeResult> HttpGet(const std::string& url, absl::Duration timeout);

}  // namespace idgen::apphost

#endif  // IDGEN_APPHOST_HTTP_PROBE_H_
