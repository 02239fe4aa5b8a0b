// Copyright idgen authors.
#include "src/config/host_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/config/endpoint.h"

namespace idgen::config {
namespace {

// HOST:PORT (port 0 allowed: a listen address) or a Unix socket.
absl::StatusOr<Endpoint> ParseListen(const std::string& value) {
  return ParseEndpoint(value, {.allow_port_zero = true});
}

}  // namespace

absl::Status CheckHostPort(const std::string& what, const std::string& value) {
  absl::StatusOr<Endpoint> e = ParseListen(value);
  if (!e.ok() || e->scheme != Scheme::kNone) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " \"", value, "\": expected HOST:PORT with a port in 0..65535"));
  }
  return absl::OkStatus();
}

std::optional<std::string> UnixSocketPath(const std::string& value) {
  if (!absl::StartsWith(value, "unix:")) return std::nullopt;
  absl::StatusOr<Endpoint> e = ParseListen(value);
  if (!e.ok()) return std::nullopt;
  return std::move(e->path);
}

absl::Status CheckGrpcListen(const std::string& what, const std::string& value) {
  if (!absl::StartsWith(value, "unix:")) {
    if (CheckHostPort(what, value).ok()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        what, " \"", value,
        "\": expected HOST:PORT with a port in 0..65535, or unix:PATH for a Unix socket"));
  }
  std::optional<std::string> path = UnixSocketPath(value);
  if (!path.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " \"", value,
                     "\": expected unix:PATH or unix:///ABSOLUTE/PATH (a Unix socket address "
                     "has no host and a non-empty path)"));
  }
  if (path->size() > kMaxUnixSocketPath) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " \"", value, "\": the socket path is ", path->size(),
                     " bytes; the kernel takes at most ", kMaxUnixSocketPath));
  }
  return absl::OkStatus();
}

bool IsLocalOnly(const std::string& value) {
  absl::StatusOr<Endpoint> e = ParseListen(value);
  if (!e.ok()) return false;
  if (e->scheme == Scheme::kUnix) return true;
  if (e->scheme != Scheme::kNone) return false;
  if (e->IsIpv6()) {
    in6_addr v6{};
    return inet_pton(AF_INET6, e->host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
  }
  if (absl::EqualsIgnoreCase(e->host, "localhost")) return true;
  in_addr v4{};
  return inet_pton(AF_INET, e->host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

}  // namespace idgen::config
