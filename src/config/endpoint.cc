// Copyright idgen authors.
#include "src/config/endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace idgen::config {
namespace {

absl::Status Bad(std::string_view why) {
  return absl::InvalidArgumentError(absl::string_view(why.data(), why.size()));
}

// "unix:PATH" or "unix:///ABS": an authority, if any, must be empty.
absl::StatusOr<Endpoint> ParseUnix(std::string_view rest) {
  if (rest.starts_with("//")) {
    if (!rest.starts_with("///")) {
      return Bad("a Unix socket address has no host (unix:PATH or unix:///ABSOLUTE/PATH)");
    }
    rest.remove_prefix(2);
  }
  if (rest.empty()) return Bad("a Unix socket address needs a non-empty path");
  if (rest.find('\0') != std::string_view::npos) return Bad("a NUL byte in the socket path");
  Endpoint out;
  out.scheme = Scheme::kUnix;
  out.path = std::string(rest);
  return out;
}

absl::Status ParsePort(std::string_view text, const EndpointRules& rules, int& port) {
  const int min = rules.allow_port_zero ? 0 : 1;
  // Digits only: SimpleAtoi alone would also take a sign and spaces.
  const bool digits =
      !text.empty() && text.size() <= 5 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || !absl::SimpleAtoi(absl::string_view(text.data(), text.size()), &port) ||
      port < min || port > 65535) {
    return Bad(absl::StrCat("port \"", absl::string_view(text.data(), text.size()),
                            "\" is not a number in ", min, "..65535"));
  }
  return absl::OkStatus();
}

// HOST[:PORT] or [IPV6][:PORT] into out.host and out.port.
absl::Status ParseAuthority(std::string_view authority, bool port_optional,
                            const EndpointRules& rules, Endpoint& out) {
  std::string_view port;
  bool has_port = false;
  if (authority.starts_with("[")) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Bad("unclosed '[' in an IPv6 address");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(":"))
      return Bad("expected [IPV6]:PORT, with ':' after ']'");
    in6_addr a6{};
    if (inet_pton(AF_INET6, out.host.c_str(), &a6) != 1) {
      return Bad(absl::StrCat("\"", out.host, "\" is not an IPv6 address"));
    }
    has_port = !after.empty();
    if (has_port) port = after.substr(1);
  } else {
    const size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    has_port = colon != std::string_view::npos;
    if (has_port) port = authority.substr(colon + 1);
    if (out.host.find(':') != std::string::npos) {
      return Bad("an IPv6 address must be in brackets, as in [::1]:8080");
    }
  }
  if (out.host.empty()) return Bad("empty host");
  if (out.host.find_first_of(" \t\r\n/@\\") != std::string::npos) {
    return Bad(absl::StrCat("bad host \"", out.host, "\""));
  }
  if (!has_port) return port_optional ? absl::OkStatus() : Bad("missing port");
  return ParsePort(port, rules, out.port);
}

}  // namespace

std::string_view SchemeName(Scheme scheme) {
  switch (scheme) {
    case Scheme::kNone:
      return "";
    case Scheme::kHttp:
      return "http";
    case Scheme::kHttps:
      return "https";
    case Scheme::kUnix:
      return "unix";
  }
  return "";
}

std::string Endpoint::HostPort() const {
  return IsIpv6() ? absl::StrCat("[", host, "]:", port) : absl::StrCat(host, ":", port);
}

absl::StatusOr<Endpoint> ParseEndpoint(std::string_view text, const EndpointRules& rules) {
  if (text.starts_with("unix:")) return ParseUnix(text.substr(5));
  Endpoint out;
  std::string_view rest = text;
  const size_t sep = text.find("://");
  if (sep != std::string_view::npos) {
    const std::string_view scheme = text.substr(0, sep);
    if (scheme == "http") {
      out.scheme = Scheme::kHttp;
      out.port = 80;
    } else if (scheme == "https") {
      out.scheme = Scheme::kHttps;
      out.port = 443;
    } else {
      return Bad(absl::StrCat("unknown scheme \"", absl::string_view(scheme.data(), scheme.size()),
                              "\" (expected http://, https:// or unix:)"));
    }
    rest.remove_prefix(sep + 3);
  } else if (rules.require_scheme) {
    return Bad("expected a URL such as http://HOST:PORT");
  }
  const size_t path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  if (path_start != std::string_view::npos) {
    if (out.scheme == Scheme::kNone) return Bad("expected HOST:PORT, without a path");
    out.path = std::string(rest.substr(path_start));
  }
  const bool port_optional = out.scheme != Scheme::kNone && !rules.require_port;
  if (absl::Status s = ParseAuthority(authority, port_optional, rules, out); !s.ok()) return s;
  return out;
}

}  // namespace idgen::config
