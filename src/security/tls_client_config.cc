// Copyright idgen authors.
#include "src/security/tls_client_config.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "src/security/certificate_set.h"
#include "src/security/tls_server_config.h"

namespace idgen::security {
namespace {

// Server-side messages name --tls-cert etc.; say the client's flags instead.
absl::Status Renamed(const absl::Status& s, const TlsClientFlagNames& flags) {
  if (s.ok()) return s;
  return absl::InvalidArgumentError(
      absl::StrReplaceAll(s.message(), {{"--tls-client-ca", flags.ca},
                                        {"--tls-cert", flags.cert},
                                        {"--tls-key", flags.key},
                                        {"--tls-crl-dir", flags.crl_dir}}));
}

}  // namespace

TlsClientFlagNames TlsClientFlagNames::WithPrefix(const std::string& prefix) {
  return {.ca = prefix + "ca",
          .cert = prefix + "cert",
          .key = prefix + "key",
          .server_name = prefix + "server-name",
          .crl_dir = prefix + "crl-dir"};
}

absl::Status CheckTlsClientConfig(const TlsClientConfig& config, absl::Time now,
                                  const std::string& flag_prefix) {
  return CheckTlsClientConfig(config, now, TlsClientFlagNames::WithPrefix(flag_prefix));
}

absl::Status CheckTlsClientConfig(const TlsClientConfig& config, absl::Time now,
                                  const TlsClientFlagNames& flags) {
  if (!config.enabled()) {
    if (!config.crl_dir.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(flags.crl_dir, " needs ", flags.ca, " (the CA it revokes for)"));
    }
    if (!config.cert_file.empty() || !config.key_file.empty() || !config.server_name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(flags.cert, ", ", flags.key, " and ",
                                                     flags.server_name, " need ", flags.ca,
                                                     " (the CA the server's certificate "
                                                     "chains to)"));
    }
    return absl::OkStatus();
  }
  if (config.cert_file.empty() != config.key_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        flags.cert, " and ", flags.key, " go together (a client certificate and its key)"));
  }
  if (!config.crl_dir.empty()) {
    absl::StatusOr<std::map<std::string, std::string>> crls = LoadCrlDirectory(config.crl_dir);
    if (!crls.ok()) return Renamed(crls.status(), flags);
  }
  // The listener's checks cover the same files: a CA that parses, a key that
  // belongs to its certificate, a certificate not yet expired.
  if (!config.cert_file.empty()) {
    TlsServerConfig as_server;
    as_server.cert_file = config.cert_file;
    as_server.key_file = config.key_file;
    as_server.client_ca_file = config.ca_file;
    as_server.check_key_permissions = config.check_key_permissions;
    return Renamed(CheckTlsServerConfig(as_server, now), flags);
  }
  absl::StatusOr<absl::Time> ca = CertificateNotAfter(config.ca_file);
  if (!ca.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flags.ca, " \"", config.ca_file, "\": ", ca.status().message()));
  }
  return absl::OkStatus();
}

std::shared_ptr<grpc::ChannelCredentials> GrpcChannelCredentials(const TlsClientConfig& config) {
  if (!config.enabled()) return grpc::InsecureChannelCredentials();
  const auto refresh = static_cast<unsigned int>(absl::ToInt64Seconds(config.reload_interval));
  std::shared_ptr<grpc::experimental::CertificateProviderInterface> provider;
  if (config.cert_file.empty()) {
    provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(config.ca_file,
                                                                                    refresh);
  } else {
    provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        config.key_file, config.cert_file, config.ca_file, refresh);
  }
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(provider);
  options.watch_root_certs();
  if (!config.cert_file.empty()) options.watch_identity_key_cert_pairs();
  if (!config.crl_dir.empty()) options.set_crl_directory(config.crl_dir);
  return grpc::experimental::TlsCredentials(options);
}

void ApplyServerName(const TlsClientConfig& config, grpc::ChannelArguments* args) {
  if (config.enabled() && !config.server_name.empty()) {
    args->SetSslTargetNameOverride(config.server_name);
  }
}

}  // namespace idgen::security
