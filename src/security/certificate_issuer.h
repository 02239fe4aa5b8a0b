// Copyright idgen authors.
//
// IssueCertificate: makes an X.509 v3 certificate and a fresh EC P-256 key
// with OpenSSL, self-signed or signed by a CA given as PEM. For the local
// PKI `idgen up` keeps in its state dir, and for tests.
//
//   CertificateSpec spec{.common_name = "idgen-node", .not_before = now - absl::Hours(1),
//                        .not_after = now + absl::Hours(24 * 30),
//                        .dns_names = {"localhost"}, .ip_addresses = {"127.0.0.1"}};
//   absl::StatusOr<PemKeyPair> leaf = IssueCertificate(spec, &ca);
//
// Thread-safety: pure functions.
#ifndef IDGEN_SECURITY_CERTIFICATE_ISSUER_H_
#define IDGEN_SECURITY_CERTIFICATE_ISSUER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace idgen::security {

struct PemKeyPair {
  std::string cert_pem;
  std::string key_pem;  // PKCS#8, unencrypted
};

struct CertificateSpec {
  std::string common_name;
  std::string organization;  // empty: none
  absl::Time not_before;
  absl::Time not_after;
  // A CA (basicConstraints CA:TRUE, keyCertSign + cRLSign) or a leaf
  // (digitalSignature, extended usages serverAuth and clientAuth).
  bool is_ca = false;
  std::vector<std::string> dns_names;     // subjectAltName DNS entries
  std::vector<std::string> ip_addresses;  // subjectAltName IP entries
};

// A certificate for `spec` with a new key; self-signed when `issuer` is
// null, else signed by it (its certificate and key). INVALID_ARGUMENT for an
// empty common name, not_after <= not_before, an unparsable issuer or IP;
// INTERNAL when OpenSSL fails.
[[nodiscard]] absl::StatusOr<PemKeyPair> IssueCertificate(const CertificateSpec& spec,
                                                          const PemKeyPair* issuer = nullptr);

// What a PEM certificate says of itself, for deciding whether to renew it.
struct CertificateFacts {
  std::string common_name;
  absl::Time not_before;
  absl::Time not_after;
};
[[nodiscard]] absl::StatusOr<CertificateFacts> ReadCertificateFacts(const std::string& cert_pem);

// OK when `pair`'s key belongs to its certificate and the certificate is
// signed by `ca_cert_pem`'s key; FAILED_PRECONDITION saying which is not.
[[nodiscard]] absl::Status CheckIssuedBy(const PemKeyPair& pair, const std::string& ca_cert_pem);

}  // namespace idgen::security

#endif  // IDGEN_SECURITY_CERTIFICATE_ISSUER_H_
