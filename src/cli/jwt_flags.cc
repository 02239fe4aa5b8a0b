// Copyright idgen authors.
#include "src/cli/jwt_flags.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace idgen::cli {

void AddJwtFlags(CLI::App* cmd, JwtFlags* flags) {
  cmd->add_option("--jwt-jwks-file", flags->settings.jwks_file,
                  "JWKS file (RFC 7517) of the keys that sign accepted JWTs (RS256, ES256): "
                  "bearer tokens with two dots are checked as JWTs; read again when it changes "
                  "and on SIGHUP. Needs --jwt-issuer and --jwt-audience")
      ->envname("IDGEN_JWT_JWKS_FILE");
  cmd->add_option("--jwt-issuer", flags->settings.issuer,
                  "The iss claim accepted JWTs must carry (exactly)")
      ->envname("IDGEN_JWT_ISSUER");
  cmd->add_option("--jwt-audience", flags->settings.audience,
                  "The audience accepted JWTs must name in their aud claim")
      ->envname("IDGEN_JWT_AUDIENCE");
  cmd->add_option("--jwt-ids-per-second", flags->settings.ids_per_second,
                  "Each JWT subject's own quota in IDs per second (a token bucket per "
                  "\"sub\", like a key entry's ids_per_second); 0: none, only "
                  "--max-ids-per-second")
      ->check(CLI::Range(0.0, 1e12))
      ->envname("IDGEN_JWT_IDS_PER_SECOND");
  cmd->add_option("--jwt-burst", flags->settings.burst,
                  "Burst of --jwt-ids-per-second (default: one second's worth)")
      ->check(CLI::Range(0.0, 1e12))
      ->envname("IDGEN_JWT_BURST");
}

absl::StatusOr<std::shared_ptr<auth::JwtTokenVerifier>> MakeJwtVerifier(const JwtFlags& flags,
                                                                        Clock* clock,
                                                                        auth::JwksFile::Log log) {
  if (flags.settings.burst > 0 && flags.settings.ids_per_second <= 0) {
    return absl::InvalidArgumentError("--jwt-burst needs --jwt-ids-per-second");
  }
  if (flags.settings.burst > 0 && flags.settings.burst < 1) {
    return absl::InvalidArgumentError("--jwt-burst must be at least 1");
  }
  if (!flags.configured()) {
    if (flags.settings.ids_per_second > 0) {
      return absl::InvalidArgumentError(
          "--jwt-ids-per-second needs --jwt-jwks-file, --jwt-issuer and --jwt-audience");
    }
    return std::shared_ptr<auth::JwtTokenVerifier>();
  }
  const struct {
    const char* flag;
    const std::string& value;
  } needed[] = {{"--jwt-jwks-file", flags.settings.jwks_file},
                {"--jwt-issuer", flags.settings.issuer},
                {"--jwt-audience", flags.settings.audience}};
  for (const auto& n : needed) {
    if (n.value.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(n.flag,
                       " is missing: --jwt-jwks-file, --jwt-issuer and "
                       "--jwt-audience go together"));
    }
  }
  absl::StatusOr<std::unique_ptr<auth::JwtTokenVerifier>> verifier =
      auth::JwtTokenVerifier::Create(flags.settings, clock, std::move(log));
  if (!verifier.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--jwt-jwks-file: ", verifier.status().message()));
  }
  return std::shared_ptr<auth::JwtTokenVerifier>(*std::move(verifier));
}

}  // namespace idgen::cli
