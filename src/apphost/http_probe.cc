// Copyright idgen authors.
#include "src/apphost/http_probe.h"

#include <utility>

#include "absl/strings/match.h"
#include "src/http/client.h"

namespace idgen::apphost {

absl::StatusOr<ProbeResult> HttpGet(const std::string& url, absl::Duration timeout,
                                    const security::TlsClientConfig& tls) {
  http::HttpClient::Options options{
      .timeout = timeout, .max_response_bytes = 64 * 1024, .user_agent = "idgen-apphost"};
  // The client refuses plain http:// once it has a CA: give it only to https.
  if (absl::StartsWith(url, "https://")) options.tls = tls;
  const http::HttpClient client(options);
  absl::StatusOr<http::HttpReply> reply = client.Get(url);
  if (!reply.ok()) {
    // The supervisor shows the message; every failure to answer is "down".
    if (reply.status().code() == absl::StatusCode::kInvalidArgument) return reply.status();
    return absl::UnavailableError(reply.status().message());
  }
  return ProbeResult{reply->status, std::move(reply->body)};
}

}  // namespace idgen::apphost
