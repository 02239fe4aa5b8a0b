// Copyright idgen authors.
#include "src/config/host_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace idgen::config {

absl::Status CheckHostPort(const std::string& what, const std::string& value) {
  const size_t colon = value.rfind(':');
  bool ok = colon != std::string::npos && colon > 0 && colon + 1 < value.size();
  int port = -1;
  if (ok) {
    ok = absl::SimpleAtoi(absl::string_view(value).substr(colon + 1), &port) && port >= 0 &&
         port <= 65535;
  }
  if (ok && value[0] == '[') ok = value[colon - 1] == ']';
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " \"", value, "\": expected HOST:PORT with a port in 0..65535"));
  }
  return absl::OkStatus();
}

std::optional<std::string> UnixSocketPath(const std::string& value) {
  absl::string_view rest = value;
  if (!absl::ConsumePrefix(&rest, "unix:")) return std::nullopt;
  // "unix://" starts an authority, which must be empty: "unix:///abs/path".
  if (absl::StartsWith(rest, "//")) {
    if (!absl::StartsWith(rest, "///")) return std::nullopt;
    rest.remove_prefix(2);
  }
  if (rest.empty() || rest.find('\0') != absl::string_view::npos) return std::nullopt;
  return std::string(rest);
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
  if (UnixSocketPath(value).has_value()) return true;
  const size_t colon = value.rfind(':');
  if (colon == std::string::npos) return false;
  absl::string_view host = absl::string_view(value).substr(0, colon);
  if (absl::ConsumePrefix(&host, "[")) {
    if (!absl::ConsumeSuffix(&host, "]")) return false;
    in6_addr v6{};
    return inet_pton(AF_INET6, std::string(host).c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
  }
  if (absl::EqualsIgnoreCase(host, "localhost")) return true;
  in_addr v4{};
  return inet_pton(AF_INET, std::string(host).c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

}  // namespace idgen::config
