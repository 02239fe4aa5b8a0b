// Copyright idgen authors.
//
// Address checks shared by every flag and config key that takes one, so all
// reject nonsense with the same message. All of them parse with
// ParseEndpoint (endpoint.h): hosts as it takes them (an IPv6 address in
// brackets, never bare), ports as it reads them.
#ifndef IDGEN_CONFIG_HOST_PORT_H_
#define IDGEN_CONFIG_HOST_PORT_H_

#include <optional>
#include <string>

#include "absl/status/status.h"

namespace idgen::config {

// HOST:PORT or [IPv6]:PORT with a port in 0..65535. INVALID_ARGUMENT
// "<what> \"<value>\": expected HOST:PORT with a port in 0..65535".
absl::Status CheckHostPort(const std::string& what, const std::string& value);

// The longest Unix socket path the kernel binds (sun_path less its NUL).
inline constexpr size_t kMaxUnixSocketPath = 107;

// The filesystem path of a gRPC Unix socket address: "unix:PATH" (relative
// or absolute) or "unix:///ABSOLUTE/PATH". nullopt for anything else, which
// includes "unix://HOST/..." (no host is allowed) and an empty path.
std::optional<std::string> UnixSocketPath(const std::string& value);

// A gRPC listen address: HOST:PORT as CheckHostPort, or a Unix socket as
// UnixSocketPath with a path of at most kMaxUnixSocketPath bytes. The
// message says which forms are accepted.
absl::Status CheckGrpcListen(const std::string& what, const std::string& value);

// True when a listen address is reachable only from this machine: a Unix
// socket, or HOST:PORT whose host is an IPv4 loopback address (127.0.0.0/8),
// [::1], or "localhost". False for wildcards (0.0.0.0, [::], an empty host)
// and for every other name or address. `value` should have passed
// CheckGrpcListen or CheckHostPort; anything else is not local.
bool IsLocalOnly(const std::string& value);

}  // namespace idgen::config

#endif  // IDGEN_CONFIG_HOST_PORT_H_
