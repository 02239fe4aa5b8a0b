// Copyright idgen authors.
#include "src/cli/auth_flags.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "src/config/host_port.h"
#include "src/config/json_fields.h"

namespace idgen::cli {
namespace {

bool Exposed(const AuthFlags& auth, const std::string& flag, const std::string& address,
             bool identified_by_certificate) {
  if (auth.configured() || identified_by_certificate || config::IsLocalOnly(address)) return false;
  // An address that does not parse is the listener's own error to report.
  return config::CheckHostPort(flag, address).ok();
}

}  // namespace

void AddAuthFlags(CLI::App* cmd, AuthFlags* flags) {
  cmd->add_option("--auth-keys", flags->keys_file,
                  "API-key file (JSON: names, SHA-256 of the keys, scopes, namespaces, quotas; "
                  "see docs/SECURITY.md); callers must then send \"authorization: Bearer KEY\". "
                  "Reloaded on change and on SIGHUP")
      ->envname("IDGEN_AUTH_KEYS");
  cmd->add_option("--max-ids-per-second", flags->max_ids_per_second,
                  "IDs this process issues per second to all callers together (a token bucket "
                  "with one second of burst); over it: RESOURCE_EXHAUSTED / 429. 0: no limit")
      ->envname("IDGEN_MAX_IDS_PER_SECOND")
      ->check(CLI::Range(0.0, 1e12))
      ->capture_default_str();
  cmd->add_flag("--allow-anonymous", flags->allow_anonymous,
                "Serve callers without credentials on a listener other machines can reach "
                "(without --auth-keys such a listener is refused)")
      ->envname("IDGEN_ALLOW_ANONYMOUS");
  AddJwtFlags(cmd, &flags->jwt);
}

absl::Status CheckAnonymousExposure(const AuthFlags& auth, const std::string& flag,
                                    const std::string& address, bool identified_by_certificate) {
  if (auth.allow_anonymous || !Exposed(auth, flag, address, identified_by_certificate)) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      flag, " ", address,
      " is reachable from other machines and no caller would have to identify itself: give "
      "--auth-keys FILE (API keys) or --jwt-jwks-file (JWTs), listen on loopback, or accept "
      "anonymous callers with "
      "--allow-anonymous (see docs/SECURITY.md)"));
}

std::string AnonymousExposureWarning(const AuthFlags& auth, const std::string& flag,
                                     const std::string& address, bool identified_by_certificate) {
  if (!auth.allow_anonymous || !Exposed(auth, flag, address, identified_by_certificate)) return "";
  return absl::StrCat("--allow-anonymous: ", flag, " ", address,
                      " serves anonymous callers reachable from other machines; anyone who can "
                      "connect can take IDs");
}

absl::StatusOr<AuthSetup> MakeAuth(const AuthFlags& flags,
                                   const std::function<void(const std::string&, bool warning)>& log,
                                   Clock* clock) {
  auth::AuthenticatorOptions opts;
  opts.key_file = flags.keys_file;
  opts.log = log;
  absl::StatusOr<std::unique_ptr<auth::Authenticator>> a =
      auth::Authenticator::Create(std::move(opts));
  if (!a.ok()) return a.status();
  AuthSetup setup;
  setup.authenticator = *std::move(a);
  absl::StatusOr<std::shared_ptr<auth::JwtTokenVerifier>> jwt =
      MakeJwtVerifier(flags.jwt, clock, [log](const std::string& m, bool error) {
        if (log != nullptr) log(m, error);
      });
  if (!jwt.ok()) return jwt.status();
  if (*jwt != nullptr) {
    setup.jwt = *std::move(jwt);
    setup.authenticator->SetTokenVerifier(setup.jwt);
  }
  setup.quota = std::make_shared<auth::Quota>(
      auth::QuotaOptions{.max_ids_per_second = flags.max_ids_per_second}, clock);
  return setup;
}

absl::StatusOr<std::string> ReadApiKeyFile(const std::string& flag, const std::string& path) {
  absl::StatusOr<std::string> text = config::ReadTextFile(path, 64 * 1024);
  if (!text.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", text.status().message()));
  }
  absl::string_view key = *text;
  if (const size_t nl = key.find('\n'); nl != absl::string_view::npos) key = key.substr(0, nl);
  key = absl::StripAsciiWhitespace(key);
  if (key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": file ", path, " holds no key"));
  }
  return std::string(key);
}

}  // namespace idgen::cli
