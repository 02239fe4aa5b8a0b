// Copyright idgen authors.
#include "src/cli/etcd_flags.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "src/config/endpoint.h"
#include "src/security/tls_client_config.h"

namespace idgen::cli {
namespace {

constexpr int64_t kMaxPasswordFileBytes = 4096;

// The password in `path`: its whole content less one trailing line end.
absl::StatusOr<std::string> ReadPasswordFile(const std::string& path, bool check_permissions) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--etcd-password-file \"", path, "\": not a readable file (missing or no permission)"));
  }
  if (check_permissions && (st.st_mode & 077) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--etcd-password-file \"", path, "\" may be read by group or others (mode ",
                     absl::StrFormat("%04o", st.st_mode & 07777),
                     "): chmod 600 it, or set IDGEN_SKIP_KEY_PERMISSION_CHECK=1 to accept that"));
  }
  if (st.st_size > kMaxPasswordFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat("--etcd-password-file \"", path,
                                                   "\": larger than ", kMaxPasswordFileBytes,
                                                   " bytes; it must hold the password alone"));
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--etcd-password-file \"", path, "\": cannot be read"));
  }
  std::string password = text.str();
  if (absl::EndsWith(password, "\n")) password.pop_back();
  if (absl::EndsWith(password, "\r")) password.pop_back();
  if (password.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--etcd-password-file \"", path, "\": the file is empty"));
  }
  return password;
}

}  // namespace

void AddEtcdSecurityFlags(CLI::App* cmd, EtcdSecurityFlags* flags) {
  cmd->add_option("--etcd-cacert", flags->cacert,
                  "PEM CA bundle etcd's certificate chains to (needed with https:// --etcd "
                  "endpoints)")
      ->envname("IDGEN_ETCD_CACERT");
  cmd->add_option("--etcd-cert", flags->cert,
                  "PEM client certificate for etcd (etcd --client-cert-auth); read again when "
                  "it changes")
      ->envname("IDGEN_ETCD_CERT");
  cmd->add_option("--etcd-key", flags->key, "PEM private key of --etcd-cert")
      ->envname("IDGEN_ETCD_KEY");
  cmd->add_option("--etcd-crl-dir", flags->crl_dir,
                  "Directory of hashed CRLs (openssl rehash) for --etcd-cacert: an etcd "
                  "certificate they revoke is refused (read when a connection to etcd is made)")
      ->envname("IDGEN_ETCD_CRL_DIR");
  cmd->add_option("--etcd-user", flags->user,
                  "etcd user to authenticate as; its password comes from IDGEN_ETCD_PASSWORD or "
                  "--etcd-password-file (never from the command line)")
      ->envname("IDGEN_ETCD_USER");
  cmd->add_option("--etcd-password-file", flags->password_file,
                  "File holding the --etcd-user password (one trailing newline is ignored; mode "
                  "600)")
      ->envname("IDGEN_ETCD_PASSWORD_FILE");
}

absl::Status ApplyEtcdSecurity(const EtcdSecurityFlags& flags,
                               const std::vector<std::string>& endpoints,
                               const std::optional<std::string>& env_password,
                               bool check_permissions, absl::Time now,
                               coord::EtcdClient::Options* options) {
  const bool https = !endpoints.empty() && absl::StartsWith(endpoints.front(), "https://");
  if (!https) {
    const std::pair<const char*, const std::string*> tls_flags[] = {
        {"--etcd-cacert", &flags.cacert},
        {"--etcd-cert", &flags.cert},
        {"--etcd-key", &flags.key},
        {"--etcd-crl-dir", &flags.crl_dir}};
    for (const auto& [flag, value] : tls_flags) {
      if (!value->empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(flag, " applies to https:// etcd endpoints; --etcd ",
                         endpoints.empty() ? std::string("(none)") : endpoints.front(),
                         " is plaintext (use https://HOST:PORT to talk TLS to etcd)"));
      }
    }
  } else if (flags.cacert.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--etcd ", endpoints.front(),
                     " is https://: pass --etcd-cacert with the CA etcd's certificate chains to"));
  }
  security::TlsClientConfig tls;
  tls.ca_file = flags.cacert;
  tls.cert_file = flags.cert;
  tls.key_file = flags.key;
  tls.crl_dir = flags.crl_dir;
  tls.check_key_permissions = check_permissions;
  const security::TlsClientFlagNames names{.ca = "--etcd-cacert",
                                           .cert = "--etcd-cert",
                                           .key = "--etcd-key",
                                           .server_name = "--etcd-server-name",
                                           .crl_dir = "--etcd-crl-dir"};
  if (absl::Status s = security::CheckTlsClientConfig(tls, now, names); !s.ok()) return s;

  const bool env_set = env_password.has_value() && !env_password->empty();
  if (flags.user.empty()) {
    if (env_set || !flags.password_file.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          env_set ? "IDGEN_ETCD_PASSWORD" : "--etcd-password-file", " needs --etcd-user"));
    }
  } else {
    if (env_set && !flags.password_file.empty()) {
      return absl::InvalidArgumentError(
          "both IDGEN_ETCD_PASSWORD and --etcd-password-file are set; give the etcd password "
          "once");
    }
    if (!env_set && flags.password_file.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--etcd-user \"", flags.user,
          "\" needs a password: set IDGEN_ETCD_PASSWORD or --etcd-password-file FILE"));
    }
    if (env_set) {
      options->password = *env_password;
    } else {
      absl::StatusOr<std::string> password =
          ReadPasswordFile(flags.password_file, check_permissions);
      if (!password.ok()) return password.status();
      options->password = *std::move(password);
    }
  }
  options->tls = std::move(tls);
  options->user = flags.user;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ParseEtcdEndpoints(const std::string& value) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(value, ',')) {
    std::string url(absl::StripAsciiWhitespace(part));
    absl::StatusOr<config::Endpoint> e = config::ParseEndpoint(url, {.require_port = true});
    if (!e.ok() || e->scheme == config::Scheme::kUnix || (!e->path.empty() && e->path != "/")) {
      return absl::InvalidArgumentError(
          absl::StrCat("--etcd \"", url,
                       "\": expected http://HOST:PORT, https://HOST:PORT or HOST:PORT "
                       "(comma-separated)",
                       e.ok() ? "" : absl::StrCat("; ", e.status().message())));
    }
    if (!out.empty() &&
        absl::StartsWith(out.front(), "https://") != (e->scheme == config::Scheme::kHttps)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--etcd mixes https:// and plaintext endpoints (", out.front(), ", ", url,
                       "); give every endpoint the same scheme"));
    }
    out.push_back(url);
  }
  return out;
}

}  // namespace idgen::cli
