// Copyright idgen authors.
#include "src/security/grpc_tls.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

namespace idgen::security {

std::shared_ptr<grpc::ServerCredentials> GrpcServerCredentials(const TlsServerConfig& config) {
  if (!config.enabled()) return grpc::InsecureServerCredentials();
  const auto refresh = static_cast<unsigned int>(absl::ToInt64Seconds(config.reload_interval));
  std::shared_ptr<grpc::experimental::CertificateProviderInterface> provider;
  if (config.client_ca_file.empty()) {
    provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        config.key_file, config.cert_file, refresh);
  } else {
    provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        config.key_file, config.cert_file, config.client_ca_file, refresh);
  }
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!config.client_ca_file.empty()) options.watch_root_certs();
  switch (config.client_auth) {
    case ClientAuth::kNone:
      options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
      break;
    case ClientAuth::kRequest:
      options.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
      break;
    case ClientAuth::kRequire:
      options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
      break;
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace idgen::security
