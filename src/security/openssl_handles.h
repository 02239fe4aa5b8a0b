// Copyright idgen authors.
//
// Owning handles for the OpenSSL objects src/security reads and makes, and
// the text of OpenSSL's last error: one definition for the certificate
// checks, the certificate watcher's sets and the certificate issuer.
//
// Thread-safety: OpenSslReason reads and clears this thread's error queue.
#ifndef IDGEN_SECURITY_OPENSSL_HANDLES_H_
#define IDGEN_SECURITY_OPENSSL_HANDLES_H_

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace idgen::security {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct CrlFree {
  void operator()(X509_CRL* c) const { X509_CRL_free(c); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using CrlPtr = std::unique_ptr<X509_CRL, CrlFree>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

// OpenSSL's reason for the last failure, and the error queue emptied.
inline std::string OpenSslReason() {
  const unsigned long code = ERR_peek_last_error();  // NOLINT(google-runtime-int)
  ERR_clear_error();
  if (code == 0) return "no PEM data found";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : "unknown OpenSSL error";
}

}  // namespace idgen::security

#endif  // IDGEN_SECURITY_OPENSSL_HANDLES_H_
