// Copyright idgen authors.
//
// BackendConfig: how the gateway reaches the `idgen serve` nodes, and the
// gRPC channel target and service config that follow from it.
//
// Backends are either a list of HOST:PORT (IPv4, [IPv6] or localhost) or of
// Unix sockets (unix:PATH), all of one kind, or a single `dns:///NAME:PORT`
// target. The list becomes one channel target,
// "ipv4:127.0.0.1:7001,127.0.0.1:7002" (or "ipv6:...", "unix:/a.sock,/b.sock"),
// so that one gRPC channel balances over every backend.
//
// The service config asks gRPC for:
//   * round_robin over every address (the dns resolver re-resolves);
//   * client-side health checking (grpc.health.v1, service
//     "idgen.v1.IdGenerator"): a node that is down or reports NOT_SERVING
//     (fenced, draining) leaves the rotation until it serves again, so a dead
//     backend costs no latency after its connection drops. This is the
//     gateway's circuit breaker.
// Retries (retry_attempts, retry_backoff) are not in the service config:
// Backends makes them itself so that each is counted and traced (see
// backends.h and retry_budget.h).
//
// Thread-safety: pure functions.
#ifndef IDGEN_GATEWAY_BACKEND_CONFIG_H_
#define IDGEN_GATEWAY_BACKEND_CONFIG_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/security/tls_client_config.h"

namespace idgen::gateway {

struct BackendConfig {
  // As given on the command line (one HOST:PORT or dns:/// target each).
  std::vector<std::string> backends;
  absl::Duration call_timeout = absl::Milliseconds(1000);
  int retry_attempts = 3;  // total attempts, 1..5 (gRPC's maximum)
  absl::Duration retry_backoff = absl::Milliseconds(50);
  bool health_check = true;
  int max_in_flight = 1024;  // backend calls at once before 429
  // TLS toward the nodes (off unless tls.ca_file is set); the files are
  // checked by the caller (CheckTlsClientConfig), not by CheckBackendConfig.
  security::TlsClientConfig tls;
  // Sent as "authorization: Bearer <key>" on every ID, decode and info call
  // (nodes with --auth-keys); empty: none (the client certificate, if any,
  // identifies the gateway). Never logged.
  std::string api_key;
};

// The load-balanced channel target and one target per backend (for
// /v1/info and /health), e.g. {"ipv4:127.0.0.1:1,127.0.0.1:2"} and
// {"ipv4:127.0.0.1:1", "ipv4:127.0.0.1:2"}.
struct BackendTargets {
  std::string balanced;
  std::vector<std::string> each;
  std::vector<std::string> names;  // each backend as the user wrote it
};

// INVALID_ARGUMENT naming the bad entry: not HOST:PORT or unix:PATH, a port
// outside 1..65535, a hostname other than localhost (use dns:///), a socket
// path with a comma, mixed kinds of address, a dns:/// target with others,
// duplicates, an empty list.
[[nodiscard]] absl::StatusOr<BackendTargets> ResolveBackends(
    const std::vector<std::string>& backends);

// Splits "a,b , c" into {"a", "b", "c"} (empty items dropped).
std::vector<std::string> SplitBackendList(std::string_view list);

// The gRPC service config JSON described above.
std::string ServiceConfigJson(const BackendConfig& config);

// INVALID_ARGUMENT for values outside their ranges (the message names them).
[[nodiscard]] absl::Status CheckBackendConfig(const BackendConfig& config);

// A node that closes the connection while it is being set up ("Socket
// closed", a failed handshake) most often wants TLS, or a client
// certificate, that the gateway did not bring. For an UNAVAILABLE `message`
// of that kind: the message with what to check given `tls` (the gateway's
// --backend-tls-* settings) appended; any other message unchanged.
std::string WithTransportHint(std::string_view message, const security::TlsClientConfig& tls);

}  // namespace idgen::gateway

#endif  // IDGEN_GATEWAY_BACKEND_CONFIG_H_
