// Copyright idgen authors.
//
// HttpClient: the one HTTP/1.1 client of the C++ code (OTLP/HTTP export, the
// AppHost's health probes, tests). Blocking: one request per call on a fresh
// connection, answered or refused within one deadline that covers the whole
// exchange (resolve, connect, write, read). Hosts may be names ("localhost"),
// IPv4 or bracketed IPv6 literals ("http://[::1]:8080/health"); URLs are read
// by config::ParseEndpoint (src/config/endpoint.h), the one address parser.
// A response longer than Options::max_response_bytes is refused, not
// truncated.
//
// https:// URLs are served over TLS as Options::tls says (client_tls.h):
// TLS 1.2 or newer, the server's certificate checked against tls.ca_file
// (the system's trust store when empty) and against the URL's host (or
// tls.server_name), a client certificate presented when tls.cert_file is
// set. The scheme decides: an https:// URL never falls back to plaintext,
// and an http:// URL is refused while Options::tls names a CA (a client
// configured for TLS does not send in plaintext by mistake).
//
// Thread-safety: a const HttpClient may be used from many threads at once;
// each call has its own connection and I/O context.
//
// Example:
//   HttpClient client({.timeout = absl::Seconds(2)});
//   absl::StatusOr<HttpReply> r = client.Get("http://127.0.0.1:9090/health");
//   if (r.ok() && r->status == 200) ...
//
//   HttpClient tls_client({.tls = {.ca_file = "ca.pem"}});
//   r = tls_client.Get("https://127.0.0.1:9464/health");
#ifndef IDGEN_HTTP_CLIENT_H_
#define IDGEN_HTTP_CLIENT_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/security/tls_client_config.h"

namespace idgen::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  // "http[s]://HOST[:PORT][/PATH[?QUERY]]"; port 80 (443 for https) by default
  std::string url;
  HeaderList headers;
  std::string body;  // sent with a Content-Length when not empty or not GET/HEAD
};

struct HttpReply {
  int status = 0;
  HeaderList headers;  // as received, in order
  std::string body;

  // The first value of header `name` (case-insensitive), or "" if absent.
  std::string Header(std::string_view name) const;
};

// Asked every few milliseconds while a request runs; once it returns true the
// exchange is abandoned (the connection closed). Empty: never.
using AbandonFn = std::function<bool()>;

class HttpClient {
 public:
  struct Options {
    // For the whole exchange: resolve, connect, write and read.
    absl::Duration timeout = absl::Seconds(10);
    // Status line, header fields and body together.
    size_t max_response_bytes = size_t{4} << 20;
    std::string user_agent = "idgen";
    // For https:// URLs (files read on every request, so renewals are
    // picked up). Default: the system's trust store, no client certificate.
    security::TlsClientConfig tls;
  };

  HttpClient() : HttpClient(Options{}) {}
  explicit HttpClient(Options options) : options_(std::move(options)) {}

  // Sends `request` and reads its response. Errors:
  //   INVALID_ARGUMENT   the URL does not parse; a TLS file does not load;
  //                      an http:// URL while Options::tls names a CA
  //   DEADLINE_EXCEEDED  no complete answer within Options::timeout
  //   CANCELLED          `abandon` returned true first
  //   RESOURCE_EXHAUSTED the response is larger than max_response_bytes
  //   UNAVAILABLE        the name does not resolve, the connection is
  //                      refused or reset, or the answer is not HTTP;
  //                      the TLS handshake fails (the message says why:
  //                      a server certificate not from the trusted CA or
  //                      not naming the host, a client certificate the
  //                      server requires but did not get, ...)
  // Every message starts with the method and the URL.
  [[nodiscard]] absl::StatusOr<HttpReply> Send(const HttpRequest& request,
                                               const AbandonFn& abandon = {}) const;

  // Shorthands for Send().
  [[nodiscard]] absl::StatusOr<HttpReply> Get(const std::string& url) const;
  [[nodiscard]] absl::StatusOr<HttpReply> Post(const std::string& url,
                                               const std::string& content_type, std::string body,
                                               HeaderList headers = {},
                                               const AbandonFn& abandon = {}) const;

  const Options& options() const { return options_; }

 private:
  Options options_;
};

}  // namespace idgen::http

#endif  // IDGEN_HTTP_CLIENT_H_
