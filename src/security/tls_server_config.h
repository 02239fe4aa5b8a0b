// Copyright idgen authors.
//
// TlsServerConfig: the certificate files a listener serves TLS with, and
// whether it asks its clients for certificates (mutual TLS).
//
//   cert_file        PEM certificate chain, leaf first
//   key_file         PEM private key of the leaf
//   client_ca_file   PEM CA bundle that client certificates must chain to
//                    (empty: clients are not asked for certificates)
//   client_auth      kNone: no client certificate asked for;
//                    kRequest: asked for, verified when sent, not required;
//                    kRequire: required and verified (mutual TLS)
//   crl_dir          directory of hashed CRLs (`openssl rehash`): client
//                    certificates they revoke are refused (needs a client
//                    CA; every CA in the chain then needs a CRL there)
//   reload_interval  how often the files are looked at again: a renewed
//                    certificate is served without a restart (see
//                    certificate_watcher.h)
//
// CheckTlsServerConfig reads and parses every file with OpenSSL, so that a
// listener refuses to start on a certificate its clients would never accept,
// with a message naming the file: missing or unreadable, not PEM, a key that
// does not belong to the certificate, a key file readable by group or others
// (unless check_key_permissions is off), a certificate expired or not yet
// valid, a client CA file with no certificate, kRequest/kRequire without a
// client CA, a CRL directory without a client CA or without a usable CRL
// (see certificate_set.h, which holds the file checks).
//
// Thread-safety: plain values and pure functions.
#ifndef IDGEN_SECURITY_TLS_SERVER_CONFIG_H_
#define IDGEN_SECURITY_TLS_SERVER_CONFIG_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace idgen::security {

enum class ClientAuth { kNone, kRequest, kRequire };

// "none", "request", "require"; INVALID_ARGUMENT naming the choices otherwise.
[[nodiscard]] absl::StatusOr<ClientAuth> ParseClientAuth(absl::string_view text);
absl::string_view ClientAuthName(ClientAuth auth);

struct TlsServerConfig {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  std::string crl_dir;
  ClientAuth client_auth = ClientAuth::kNone;
  absl::Duration reload_interval = absl::Seconds(5);
  // Refuse a private key file that group or others may read (off only on
  // request: IDGEN_SKIP_KEY_PERMISSION_CHECK=1 in the CLI).
  bool check_key_permissions = true;

  bool enabled() const { return !cert_file.empty(); }
  // Mutual TLS: every client presents a certificate that chains to the CA.
  bool requires_client_certificates() const {
    return enabled() && client_auth == ClientAuth::kRequire;
  }
};

// OK when the files are usable now (see above); `now` decides expiry.
// INVALID_ARGUMENT naming the flag-like field and the file otherwise.
[[nodiscard]] absl::Status CheckTlsServerConfig(const TlsServerConfig& config, absl::Time now);

// The notAfter time of the first certificate in a PEM file.
[[nodiscard]] absl::StatusOr<absl::Time> CertificateNotAfter(const std::string& pem_file);

}  // namespace idgen::security

#endif  // IDGEN_SECURITY_TLS_SERVER_CONFIG_H_
