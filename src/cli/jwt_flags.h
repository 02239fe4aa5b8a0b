// Copyright idgen authors.
//
// The JWT flags that `idgen serve` and `idgen gateway` share:
//
//   --jwt-jwks-file FILE   IDGEN_JWT_JWKS_FILE   public keys (JWKS, RFC 7517)
//   --jwt-issuer ISS       IDGEN_JWT_ISSUER      the "iss" tokens must carry
//   --jwt-audience AUD     IDGEN_JWT_AUDIENCE    the "aud" tokens must name
//   --jwt-ids-per-second N IDGEN_JWT_IDS_PER_SECOND  each subject's quota
//   --jwt-burst N          IDGEN_JWT_BURST       its burst
//
// The first three: all or none. With them, a bearer token with two dots is checked as
// a JWT (src/auth/jwt_verifier.h); see docs/SECURITY.md.
//
// Thread-safety: plain functions.
#ifndef IDGEN_CLI_JWT_FLAGS_H_
#define IDGEN_CLI_JWT_FLAGS_H_

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "absl/status/statusor.h"
#include "idgen/clock.h"
#include "src/auth/jwks_file.h"
#include "src/auth/jwt_token_verifier.h"

namespace idgen::cli {

struct JwtFlags {
  auth::JwtSettings settings;
  bool configured() const {
    return !settings.jwks_file.empty() || !settings.issuer.empty() || !settings.audience.empty();
  }
};

void AddJwtFlags(CLI::App* cmd, JwtFlags* flags);

// The verifier, or nullptr when no JWT flag is given. INVALID_ARGUMENT
// naming the flag when only some are given, or naming the JWKS file and the
// key at fault when it does not load (the caller exits 2).
[[nodiscard]] absl::StatusOr<std::shared_ptr<auth::JwtTokenVerifier>> MakeJwtVerifier(
    const JwtFlags& flags, Clock* clock, auth::JwksFile::Log log);

}  // namespace idgen::cli

#endif  // IDGEN_CLI_JWT_FLAGS_H_
