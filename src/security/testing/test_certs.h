// Copyright idgen authors.
//
// Certificates for unit tests, made in memory with OpenSSL (EC P-256,
// SHA-256): a self-signed one, or one signed by another TestCert (a CA).
#ifndef IDGEN_SECURITY_TESTING_TEST_CERTS_H_
#define IDGEN_SECURITY_TESTING_TEST_CERTS_H_

#include <string>

#include "absl/time/time.h"

namespace idgen::security::testing {

struct TestCert {
  std::string cert_pem;
  std::string key_pem;
};

// `cn` as subject common name; valid from now - 1 h to `not_after`. With
// `issuer` null it is self-signed (and a CA); otherwise signed by it.
TestCert MakeCert(const std::string& cn, absl::Time not_after, const TestCert* issuer = nullptr);

// Writes `text` to `dir`/`name` with mode 0600 (as an operator keeps a key;
// the key permission check refuses anything looser) and returns the path.
std::string WritePrivateFile(const std::string& dir, const std::string& name,
                             const std::string& text);

}  // namespace idgen::security::testing

#endif  // IDGEN_SECURITY_TESTING_TEST_CERTS_H_
