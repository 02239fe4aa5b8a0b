// Copyright idgen authors.
//
// HttpGet: the AppHost's health probe of a local resource
// (GET http://127.0.0.1:PORT/health): the project's one HTTP client
// (src/http/client.h) with the probe's bounds, a timeout over the whole
// exchange and at most 64 KiB of response.
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

// `url`: "http://HOST:PORT/PATH"; HOST a name ("localhost"), an IPv4 address
// or a bracketed IPv6 address. INVALID_ARGUMENT for a bad URL; UNAVAILABLE
// when nothing answers in time, the connection fails or the response is
// larger than 64 KiB.
[[nodiscard]] absl::StatusOr<ProbeResult> HttpGet(const std::string& url, absl::Duration timeout);

}  // namespace idgen::apphost

#endif  // IDGEN_APPHOST_HTTP_PROBE_H_
