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
#include "src/security/tls_client_config.h"

namespace idgen::apphost {

struct ProbeResult {
  int status = 0;  // HTTP status code
  std::string body;
};

// `url`: "http://HOST:PORT/PATH" or "https://..."; HOST a name ("localhost"), an IPv4 address
// or a bracketed IPv6 address. INVALID_ARGUMENT for a bad URL; UNAVAILABLE
// when nothing answers in time, the connection fails or the response is
// larger than 64 KiB.
// An https:// URL is checked against `tls` (its CA; its certificate
// presented to servers that require one).
[[nodiscard]] absl::StatusOr<ProbeResult> HttpGet(const std::string& url, absl::Duration timeout,
                                                  const security::TlsClientConfig& tls = {});

}  // namespace idgen::apphost

#endif  // IDGEN_APPHOST_HTTP_PROBE_H_
