// Copyright idgen authors.
#include "src/auth/jwt_token_verifier.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace idgen::auth {

absl::StatusOr<std::unique_ptr<JwtTokenVerifier>> JwtTokenVerifier::Create(
    const JwtSettings& settings, Clock* clock, JwksFile::Log log) {
  absl::StatusOr<std::unique_ptr<JwksFile>> keys =
      OpenJwksFile(settings.jwks_file, clock, absl::Seconds(1), std::move(log));
  if (!keys.ok()) return keys.status();
  JwksFile* file = keys->get();
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier = JwtVerifier::Create(
      {.issuer = settings.issuer, .audience = settings.audience},
      [file] { return file->Current(); }, clock);
  if (!verifier.ok()) return verifier.status();
  (*keys)->StartPolling();
  return std::unique_ptr<JwtTokenVerifier>(
      new JwtTokenVerifier(settings, *std::move(keys), *std::move(verifier)));
}

absl::StatusOr<Principal> JwtTokenVerifier::Verify(absl::string_view token) {
  absl::StatusOr<std::shared_ptr<const VerifiedJwt>> claims = verifier_->Verify(token);
  if (!claims.ok()) return claims.status();
  Principal p;
  p.name = absl::StrCat(kJwtCallerPrefix, (*claims)->subject);
  p.scopes = (*claims)->scopes;
  p.namespaces = (*claims)->namespaces;
  if (settings_.ids_per_second > 0) {
    p.ids_per_second = settings_.ids_per_second;
    p.burst = settings_.burst > 0 ? settings_.burst : std::max(1.0, settings_.ids_per_second);
  }
  return p;
}

}  // namespace idgen::auth
