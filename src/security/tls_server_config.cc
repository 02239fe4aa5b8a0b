// Copyright idgen authors.
#include "src/security/tls_server_config.h"

#include "src/security/certificate_set.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>

#include "absl/strings/str_cat.h"
#include "src/security/openssl_handles.h"

namespace idgen::security {
namespace {

absl::StatusOr<BioPtr> OpenFile(absl::string_view what, const std::string& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (bio == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(what, " \"", path, "\": cannot be read (missing or no permission)"));
  }
  return bio;
}

absl::StatusOr<X509Ptr> FirstCertificate(absl::string_view what, const std::string& path) {
  absl::StatusOr<BioPtr> bio = OpenFile(what, path);
  if (!bio.ok()) return bio.status();
  X509Ptr cert(PEM_read_bio_X509(bio->get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " \"", path, "\": no PEM certificate in it (", OpenSslReason(), ")"));
  }
  return cert;
}

absl::StatusOr<absl::Time> NotAfter(const X509* cert) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("certificate has an unreadable notAfter time");
  }
  return absl::FromTM(tm, absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<ClientAuth> ParseClientAuth(absl::string_view text) {
  if (text == "none") return ClientAuth::kNone;
  if (text == "request") return ClientAuth::kRequest;
  if (text == "require") return ClientAuth::kRequire;
  return absl::InvalidArgumentError(
      absl::StrCat("client auth \"", text, "\": expected none, request or require"));
}

absl::string_view ClientAuthName(ClientAuth auth) {
  switch (auth) {
    case ClientAuth::kNone:
      return "none";
    case ClientAuth::kRequest:
      return "request";
    case ClientAuth::kRequire:
      return "require";
  }
  return "none";
}

absl::StatusOr<absl::Time> CertificateNotAfter(const std::string& pem_file) {
  absl::StatusOr<X509Ptr> cert = FirstCertificate("certificate", pem_file);
  if (!cert.ok()) return cert.status();
  return NotAfter(cert->get());
}

absl::Status CheckTlsServerConfig(const TlsServerConfig& config, absl::Time now) {
  if (!config.enabled()) {
    if (!config.key_file.empty() || !config.client_ca_file.empty() || !config.crl_dir.empty()) {
      return absl::InvalidArgumentError(
          "--tls-key, --tls-client-ca and --tls-crl-dir need --tls-cert (the certificate to "
          "serve)");
    }
    return absl::OkStatus();
  }
  if (config.key_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert needs --tls-key (the certificate's private key)");
  }
  if (config.client_auth != ClientAuth::kNone && config.client_ca_file.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-client-auth ", ClientAuthName(config.client_auth),
                     " needs --tls-client-ca (the CA that client certificates chain to)"));
  }
  if (!config.crl_dir.empty() && config.client_auth == ClientAuth::kNone) {
    return absl::InvalidArgumentError(
        "--tls-crl-dir needs client certificates to check (--tls-client-ca, with "
        "--tls-client-auth request or require)");
  }
  if (config.reload_interval < absl::Seconds(1) || config.reload_interval > absl::Hours(24)) {
    return absl::InvalidArgumentError("the TLS reload interval must be between 1 s and 24 h");
  }
  return LoadCertificateSet(config, now).status();
}

}  // namespace idgen::security
