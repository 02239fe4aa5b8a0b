// Copyright idgen authors.
//
// CertificateSet: the contents of a listener's TLS files, read together and
// checked together, so that a listener only ever switches from one whole,
// usable set to another:
//
//   cert_pem   the --tls-cert file (chain, leaf first)
//   key_pem    the --tls-key file (never logged, never shown)
//   ca_pem     the --tls-client-ca file (empty without one)
//   crls       the hashed CRL files of --tls-crl-dir (name -> PEM), as
//              `openssl rehash` names them: <8 hex digits>.r<N>
//
// LoadCertificateSet reads every file and refuses, with INVALID_ARGUMENT
// naming the flag and the file: a missing or unreadable file, no PEM
// certificate, no unencrypted PEM key, a key that does not belong to the
// certificate, a key file group or others may read (when
// check_key_permissions), a certificate already expired at `now` or not yet
// valid, a client CA file with no certificate, a CRL file that does not
// parse, a CRL directory with no CRL in it.
//
// Thread-safety: plain values and pure functions.
#ifndef IDGEN_SECURITY_CERTIFICATE_SET_H_
#define IDGEN_SECURITY_CERTIFICATE_SET_H_

#include <cstdint>
#include <map>
#include <string>

#include <openssl/x509_vfy.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "src/security/tls_server_config.h"

namespace idgen::security {

struct CertificateSet {
  std::string cert_pem;
  std::string key_pem;
  std::string ca_pem;
  std::map<std::string, std::string> crls;
  // Of the leaf (the first certificate in cert_pem).
  absl::Time not_after;
  std::string serial_hex;  // upper-case hex, as `openssl x509 -serial` shows it
};

// The files of `config` (which must be enabled) as one checked set.
[[nodiscard]] absl::StatusOr<CertificateSet> LoadCertificateSet(const TlsServerConfig& config,
                                                                absl::Time now);

// The hashed CRL files of `dir` (name -> PEM), each parsed; errors name
// --tls-crl-dir and the file, or the directory when it holds none.
[[nodiscard]] absl::StatusOr<std::map<std::string, std::string>> LoadCrlDirectory(
    const std::string& dir);

// Adds `crls` (from LoadCrlDirectory of `dir`) to an OpenSSL certificate
// store and turns CRL checks on for the whole chain (every CA of it then
// needs a CRL). INVALID_ARGUMENT naming `what` ("--tls-crl-dir"), the
// directory and the file for a CRL OpenSSL will not take.
[[nodiscard]] absl::Status AddCrlsToStore(X509_STORE* store,
                                          const std::map<std::string, std::string>& crls,
                                          absl::string_view what, const std::string& dir);

}  // namespace idgen::security

#endif  // IDGEN_SECURITY_CERTIFICATE_SET_H_
