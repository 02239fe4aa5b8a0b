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
  cmd->add_option("--tls-crl-dir", flags->crl_dir,
                  "Directory of hashed CRLs (openssl rehash): revoked client certificates are "
                  "refused; every CA of a client's chain needs a CRL there")
      ->envname("IDGEN_TLS_CRL_DIR");
  cmd->add_option("--tls-reload-seconds", flags->reload_s,
                  "How often the TLS files (and CRLs) are looked at for changes; SIGHUP reloads "
                  "at once. A renewal that does not load keeps the current certificate. 1..86400")
      ->envname("IDGEN_TLS_RELOAD_SECONDS")
      ->check(WholeNumberIn(1, 86'400))
      ->capture_default_str();
}

void AddTlsClientFlags(CLI::App* cmd, TlsClientFlags* flags, const std::string& prefix,
                       const std::string& env_prefix, const std::string& peer) {
  const struct {
    const char* name;
    const char* env;
    std::string* value;
    std::string help;
  } options[] = {
      {"ca", "CA", &flags->ca,
       absl::StrCat("PEM CA bundle ", peer, " certificates chain to: call over TLS")},
      {"cert", "CERT", &flags->cert,
       "PEM client certificate, for servers that require one (mutual TLS)"},
      {"key", "KEY", &flags->key, absl::StrCat("PEM private key of ", prefix, "cert")},
      {"server-name", "SERVER_NAME", &flags->server_name,
       absl::StrCat("Name to check ", peer,
                    " certificates against (default: the host of each address)")},
      {"crl-dir", "CRL_DIR", &flags->crl_dir,
       absl::StrCat("Directory of hashed CRLs (openssl rehash): ", peer,
                    " certificates they revoke are refused")},
  };
  for (const auto& o : options) {
    CLI::Option* opt = cmd->add_option(absl::StrCat(prefix, o.name), *o.value, o.help);
    if (!env_prefix.empty()) opt->envname(absl::StrCat(env_prefix, o.env));
  }
}

security::TlsClientConfig TlsClientConfigFrom(const TlsClientFlags& flags) {
  security::TlsClientConfig tls;
  tls.ca_file = flags.ca;
  tls.cert_file = flags.cert;
  tls.key_file = flags.key;
  tls.server_name = flags.server_name;
  tls.crl_dir = flags.crl_dir;
  tls.check_key_permissions = !SkipKeyPermissionCheck();
  return tls;
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
  tls.crl_dir = flags.crl_dir;
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
