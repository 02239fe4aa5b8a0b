// Copyright idgen authors.
#include "src/http/client_tls.h"

#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "src/security/certificate_set.h"

namespace idgen::http {
namespace {

namespace ssl = boost::asio::ssl;

bool IsIpAddress(const std::string& host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  return !ec;
}

absl::Status Unloadable(const char* what, const std::string& file,
                        const boost::system::error_code& ec) {
  return absl::InvalidArgumentError(
      absl::StrCat("TLS ", what, " \"", file, "\": cannot be loaded: ", ec.message()));
}

}  // namespace

absl::StatusOr<std::shared_ptr<ssl::context>> MakeClientTlsContext(
    const security::TlsClientConfig& config) {
  if (config.cert_file.empty() != config.key_file.empty()) {
    return absl::InvalidArgumentError(
        "a TLS client certificate and its key go together (both or neither)");
  }
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                   ec);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  if (config.ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("the system's TLS trust store cannot be loaded: ", ec.message()));
    }
  } else {
    ctx->load_verify_file(config.ca_file, ec);
    if (ec) return Unloadable("CA file", config.ca_file, ec);
  }
  if (!config.crl_dir.empty()) {
    absl::StatusOr<std::map<std::string, std::string>> crls =
        security::LoadCrlDirectory(config.crl_dir);
    if (!crls.ok()) return crls.status();
    if (absl::Status s = security::AddCrlsToStore(SSL_CTX_get_cert_store(ctx->native_handle()),
                                                  *crls, "TLS CRL", config.crl_dir);
        !s.ok()) {
      return s;
    }
  }
  ctx->set_verify_mode(ssl::verify_peer, ec);
  if (!config.cert_file.empty()) {
    ctx->use_certificate_chain_file(config.cert_file, ec);
    if (ec) return Unloadable("client certificate", config.cert_file, ec);
    ctx->use_private_key_file(config.key_file, ssl::context::pem, ec);
    if (ec) return Unloadable("client key", config.key_file, ec);
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("TLS client key \"", config.key_file,
                                                     "\" does not belong to the certificate \"",
                                                     config.cert_file, "\""));
    }
  }
  static constexpr unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(ctx->native_handle(), kAlpn, sizeof(kAlpn));
  return ctx;
}

absl::Status PrepareTlsConnection(SSL* ssl, const std::string& host,
                                  const std::string& server_name) {
  const std::string& name = server_name.empty() ? host : server_name;
  if (IsIpAddress(name)) {
    // Certificates name addresses in IP SANs only; SNI carries names only.
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("cannot check for address ", name));
    }
    return absl::OkStatus();
  }
  if (SSL_set_tlsext_host_name(ssl, name.c_str()) != 1 || SSL_set1_host(ssl, name.c_str()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("cannot check for host name ", name));
  }
  return absl::OkStatus();
}

std::string CertificateRefusal(SSL* ssl, const security::TlsClientConfig& config,
                               const std::string& expected_name) {
  const long result = SSL_get_verify_result(ssl);  // NOLINT(google-runtime-int)
  if (result == X509_V_OK) return "";
  std::string out = absl::StrCat("the server's certificate was not accepted: ",
                                 X509_verify_cert_error_string(result));
  switch (result) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      absl::StrAppend(&out, " (it does not name ", expected_name, ")");
      break;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      absl::StrAppend(&out, " (it does not chain to ",
                      config.ca_file.empty() ? std::string("the system's trust store")
                                             : absl::StrCat("the CA in ", config.ca_file),
                      ")");
      break;
    default:
      break;
  }
  return out;
}

}  // namespace idgen::http
