// Copyright idgen authors.
//
// JwtTokenVerifier: the Authenticator's TokenVerifier for JWTs. It keeps the
// JWKS file (reloaded when it changes and on ReloadNow, i.e. SIGHUP) and a
// JwtVerifier, and turns a verified token into a Principal:
//   name        "jwt:" and the token's "sub": key-file names cannot hold a
//               colon, so a subject never shares a key entry's quota,
//               counters or metric label
//   scopes      its "scope" claim, split at spaces
//   namespaces  its "namespaces" claim, or "*" (all)
//   quota       settings.ids_per_second and burst (--jwt-ids-per-second,
//               --jwt-burst): each subject its own bucket of that size;
//               0 (the default): none of its own, only the process's limit
// Refusals are UNAUTHENTICATED saying why (jwt_verifier.h), never the token.
//
// Thread-safety: Verify and ReloadNow from any thread.
#ifndef IDGEN_AUTH_JWT_TOKEN_VERIFIER_H_
#define IDGEN_AUTH_JWT_TOKEN_VERIFIER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "idgen/clock.h"
#include "src/auth/jwks_file.h"
#include "src/auth/jwt_verifier.h"
#include "src/auth/principal.h"
#include "src/auth/token_verifier.h"

namespace idgen::auth {

// What a JWT caller's Principal::name starts with.
inline constexpr absl::string_view kJwtCallerPrefix = "jwt:";

struct JwtSettings {
  std::string jwks_file;      // --jwt-jwks-file
  std::string issuer;         // --jwt-issuer
  std::string audience;       // --jwt-audience
  double ids_per_second = 0;  // --jwt-ids-per-second: each subject's quota; 0: none
  double burst = 0;           // --jwt-burst; 0: max(1, ids_per_second)
};

class JwtTokenVerifier final : public TokenVerifier {
 public:
  // Loads the JWKS file ("JWKS file <path>: ..." on failure) and starts
  // watching it. `clock` must outlive the verifier; `log` hears reloads.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<JwtTokenVerifier>> Create(
      const JwtSettings& settings, Clock* clock, JwksFile::Log log = nullptr);

  [[nodiscard]] absl::StatusOr<Principal> Verify(absl::string_view token) override;

  // Reads the JWKS file again now (SIGHUP).
  void ReloadNow() { keys_->ReloadNow(); }

 private:
  JwtTokenVerifier(JwtSettings settings, std::unique_ptr<JwksFile> keys,
                   std::unique_ptr<JwtVerifier> verifier)
      : settings_(std::move(settings)), keys_(std::move(keys)), verifier_(std::move(verifier)) {}
  const JwtSettings settings_;
  std::unique_ptr<JwksFile> keys_;
  std::unique_ptr<JwtVerifier> verifier_;
};

}  // namespace idgen::auth

#endif  // IDGEN_AUTH_JWT_TOKEN_VERIFIER_H_
