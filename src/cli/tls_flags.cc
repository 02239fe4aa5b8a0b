// Copyright idgen authors.
#include "src/cli/tls_flags.h"

#include <cstdlib>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "src/cli/flag_checks.h"

namespace idgen::cli {

void AddTlsServerFlags(CLI::App* cmd, TlsServerFlags* flags, const std::string& listeners) {
  cmd->add_option("--tls-cert", flags->cert,
                  absl::StrCat("PEM certificate chain (leaf first): TLS on ", listeners,
                               "; read again when it changes"))
      ->envname("IDGEN_TLS_CERT");
  cmd->add_option("--tls-key", flags->key, "PEM private key of --tls-cert")
      ->envname("IDGEN_TLS_KEY");
  cmd->add_option("--tls-client-ca", flags->client_ca,
                  "PEM CA bundle that client certificates must chain to (mutual TLS)")
      ->envname("IDGEN_TLS_CLIENT_CA");
  cmd->add_option("--tls-client-auth", flags->client_auth,
                  "none|request|require: whether clients must present a certificate (default: "
                  "require with --tls-client-ca, else none)")
      ->envname("IDGEN_TLS_CLIENT_AUTH");
  cmd->add_option("--tls-reload-seconds", flags->reload_s,
                  "How often the TLS files are read again (a renewed certificate is served "
                  "without a restart), 1..86400")
      ->envname("IDGEN_TLS_RELOAD_SECONDS")
      ->check(WholeNumberIn(1, 86'400))
      ->capture_default_str();
}

bool SkipKeyPermissionCheck() {
  const char* skip = std::getenv("IDGEN_SKIP_KEY_PERMISSION_CHECK");
  return skip != nullptr && std::string_view(skip) == "1";
}

absl::StatusOr<security::TlsServerConfig> TlsServerConfigFrom(const TlsServerFlags& flags) {
  security::TlsServerConfig tls;
  tls.cert_file = flags.cert;
  tls.key_file = flags.key;
  tls.client_ca_file = flags.client_ca;
  tls.reload_interval = absl::Seconds(flags.reload_s);
  tls.check_key_permissions = !SkipKeyPermissionCheck();
  if (flags.client_auth.empty()) {
    tls.client_auth =
        flags.client_ca.empty() ? security::ClientAuth::kNone : security::ClientAuth::kRequire;
    return tls;
  }
  absl::StatusOr<security::ClientAuth> auth = security::ParseClientAuth(flags.client_auth);
  if (!auth.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--tls-client-auth \"", flags.client_auth,
                                                   "\": expected none, request or require"));
  }
  tls.client_auth = *auth;
  return tls;
}

}  // namespace idgen::cli
