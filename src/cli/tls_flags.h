// Copyright idgen authors.
//
// The TLS flags of a listening command (serve, gateway), one definition for
// both: --tls-cert, --tls-key, --tls-client-ca, --tls-client-auth,
// --tls-crl-dir, --tls-reload-seconds, each with its IDGEN_* variable.
#ifndef IDGEN_CLI_TLS_FLAGS_H_
#define IDGEN_CLI_TLS_FLAGS_H_

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "absl/status/statusor.h"
#include "src/security/tls_client_config.h"
#include "src/security/tls_server_config.h"

namespace idgen::cli {

struct TlsServerFlags {
  std::string cert;
  std::string key;
  std::string client_ca;
  std::string client_auth;  // empty: "require" with a client CA, else "none"
  std::string crl_dir;
  int64_t reload_s = 5;
};

// The TLS flags of a calling command (the gateway toward its nodes, bench
// toward a node): PREFIXca, PREFIXcert, PREFIXkey, PREFIXserver-name,
// PREFIXcrl-dir.
struct TlsClientFlags {
  std::string ca;
  std::string cert;
  std::string key;
  std::string server_name;
  std::string crl_dir;
};

// Adds them to `cmd` as `prefix` + "ca" etc. ("--backend-tls-"), each with
// the variable `env_prefix` + "CA" etc. when `env_prefix` is not empty;
// `peer` names the servers called ("the nodes").
void AddTlsClientFlags(CLI::App* cmd, TlsClientFlags* flags, const std::string& prefix,
                       const std::string& env_prefix, const std::string& peer);

// The flags as a TlsClientConfig, with the key permission check as
// SkipKeyPermissionCheck says; the files are checked later
// (security::CheckTlsClientConfig, with the same `prefix` for its messages).
security::TlsClientConfig TlsClientConfigFrom(const TlsClientFlags& flags);

// Adds the flags to `cmd`; `listeners` says what they secure ("the gRPC and
// admin listeners").
void AddTlsServerFlags(CLI::App* cmd, TlsServerFlags* flags, const std::string& listeners);

// IDGEN_SKIP_KEY_PERMISSION_CHECK=1: accept private key files that group or
// others may read (refused otherwise, by security::CheckTlsServerConfig).
bool SkipKeyPermissionCheck();

// The flags as a TlsServerConfig; INVALID_ARGUMENT for a --tls-client-auth
// other than none/request/require. The files are checked later
// (security::CheckTlsServerConfig).
[[nodiscard]] absl::StatusOr<security::TlsServerConfig> TlsServerConfigFrom(
    const TlsServerFlags& flags);

}  // namespace idgen::cli

#endif  // IDGEN_CLI_TLS_FLAGS_H_
