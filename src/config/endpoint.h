// Copyright idgen authors.
//
// Endpoint: the one parser of the addresses that flags, environment
// variables and configuration keys take, so that every one of them splits
// hosts from ports, handles IPv6 brackets and default ports alike, and
// refuses nonsense with the same reasons.
//
// Accepted forms:
//   HOST:PORT                   scheme kNone; the port is required
//   [IPV6]:PORT                 the brackets are not part of Endpoint::host
//   http://HOST[:PORT][/PATH]   port 80 when absent
//   https://HOST[:PORT][/PATH]  port 443 when absent
//   unix:PATH, unix:///ABS      scheme kUnix; no host, no port
// HOST is a name, an IPv4 address or a bracketed IPv6 address (checked to be
// one); it cannot be empty or hold whitespace, '/', '@' or '\'. Names are
// not resolved here.
//
// Thread-safety: free functions on values; call from any thread.
//
// Example:
//   absl::StatusOr<Endpoint> e = ParseEndpoint("http://[::1]:4318/v1/traces");
//   e->host == "::1", e->port == 4318, e->path == "/v1/traces",
//   e->HostPort() == "[::1]:4318"
#ifndef IDGEN_CONFIG_ENDPOINT_H_
#define IDGEN_CONFIG_ENDPOINT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace idgen::config {

enum class Scheme { kNone, kHttp, kHttps, kUnix };

// "http", "https", "unix" or "" for kNone.
std::string_view SchemeName(Scheme scheme);

struct Endpoint {
  Scheme scheme = Scheme::kNone;
  std::string host;  // without brackets; empty for kUnix
  int port = 0;      // 0 for kUnix (and for HOST:0 where rules allow it)
  // http(s): the path and query as written ("" when the URL has none);
  // kUnix: the socket's filesystem path; kNone: always "".
  std::string path;

  bool IsIpv6() const { return host.find(':') != std::string::npos; }
  // "HOST:PORT", with the host in brackets when it is an IPv6 address.
  std::string HostPort() const;
};

struct EndpointRules {
  bool require_scheme = false;   // refuse the bare HOST:PORT form
  bool require_port = false;     // no default port for http(s)://
  bool allow_port_zero = false;  // HOST:0 (a listen address: any free port)
};

// Parses `text`. INVALID_ARGUMENT whose message is the reason alone, e.g.
// "missing port", "port \"x\" is not a number in 1..65535" (also for an
// empty port after ':'), "unknown scheme
// \"ftp\" (expected http://, https:// or unix:)", "empty host", "an IPv6
// address must be in brackets, as in [::1]:8080"; callers put the flag and
// the value in front.
absl::StatusOr<Endpoint> ParseEndpoint(std::string_view text, const EndpointRules& rules = {});

}  // namespace idgen::config

#endif  // IDGEN_CONFIG_ENDPOINT_H_
