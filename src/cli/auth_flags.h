// Copyright idgen authors.
//
// The authentication and quota flags that `idgen serve` and `idgen gateway`
// share, and the secure-default rule:
//
//   --auth-keys FILE          IDGEN_AUTH_KEYS            API-key file (src/auth/key_file.h)
//   --max-ids-per-second N    IDGEN_MAX_IDS_PER_SECOND   the process's own quota (0: none)
//   --allow-anonymous         IDGEN_ALLOW_ANONYMOUS      serve anonymous callers beyond loopback
//   --jwt-*                   IDGEN_JWT_*                JWT bearer tokens (jwt_flags.h)
//
// Open by default only on loopback: with no authentication setting, every
// caller is anonymous, which CheckAnonymousExposure allows only when the
// ID-serving listener is on loopback or a Unix socket, when the listener
// identifies callers otherwise (mutual TLS that requires client
// certificates), or with --allow-anonymous (AnonymousExposureWarning is then
// the line to log).
//
// Thread-safety: plain functions.
#ifndef IDGEN_CLI_AUTH_FLAGS_H_
#define IDGEN_CLI_AUTH_FLAGS_H_

#include <functional>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "absl/status/statusor.h"
#include "idgen/clock.h"
#include "src/auth/authenticator.h"
#include "src/auth/quota.h"
#include "src/cli/jwt_flags.h"

namespace idgen::cli {

struct AuthFlags {
  std::string keys_file;
  double max_ids_per_second = 0;
  bool allow_anonymous = false;
  JwtFlags jwt;  // --jwt-jwks-file, --jwt-issuer, --jwt-audience
  // Whether callers must identify themselves.
  bool configured() const { return !keys_file.empty() || jwt.configured(); }
};

void AddAuthFlags(CLI::App* cmd, AuthFlags* flags);

// INVALID_ARGUMENT naming `flag`, `address` and the ways out when anonymous
// callers would be served beyond loopback.
[[nodiscard]] absl::Status CheckAnonymousExposure(const AuthFlags& auth, const std::string& flag,
                                                  const std::string& address,
                                                  bool identified_by_certificate);
// "" unless --allow-anonymous is what lets the process start.
std::string AnonymousExposureWarning(const AuthFlags& auth, const std::string& flag,
                                     const std::string& address, bool identified_by_certificate);

struct AuthSetup {
  std::shared_ptr<auth::Authenticator> authenticator;
  std::shared_ptr<auth::Quota> quota;
  // Set with the JWT flags (already the authenticator's token verifier):
  // ReloadNow on SIGHUP.
  std::shared_ptr<auth::JwtTokenVerifier> jwt;
};

// The authenticator (key file loaded; errors name --auth-keys), with the JWT
// verifier when the JWT flags are given (errors name the --jwt-* flag or the
// JWKS file), and quota. `log` hears the key file's and JWKS file's reloads.
[[nodiscard]] absl::StatusOr<AuthSetup> MakeAuth(
    const AuthFlags& flags, const std::function<void(const std::string&, bool warning)>& log,
    Clock* clock);

// The API key in `path` (--api-key-file, --backend-api-key-file): the
// file's first line, surrounding whitespace removed. INVALID_ARGUMENT naming
// `flag` for an unreadable or empty file (never the key).
[[nodiscard]] absl::StatusOr<std::string> ReadApiKeyFile(const std::string& flag,
                                                         const std::string& path);

}  // namespace idgen::cli

#endif  // IDGEN_CLI_AUTH_FLAGS_H_
