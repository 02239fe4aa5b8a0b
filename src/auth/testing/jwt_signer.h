// Copyright idgen authors.
//
// Test keys and token signing, in memory with OpenSSL: what an identity
// provider does, for the tests of anything that verifies JWTs.
//
//   TestKey key = TestKey::Rsa();
//   std::string jwks = JwksJson({key.PublicJwk("k1")});
//   std::string token = key.Sign(R"({"alg":"RS256","kid":"k1"})", R"({"sub":"a",...})");
//
// Thread-safety: a TestKey is immutable; functions are pure.
#ifndef IDGEN_AUTH_TESTING_JWT_SIGNER_H_
#define IDGEN_AUTH_TESTING_JWT_SIGNER_H_

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "src/auth/jwks.h"

namespace idgen::auth::testing {

class TestKey {
 public:
  // A fresh RSA key (2048 bits unless said) or P-256 key. Aborts on failure.
  static TestKey Rsa(int bits = 2048);
  static TestKey P256();

  JwsAlg alg() const { return alg_; }
  // The public key as a JWK object (JSON text), with "kid" unless empty.
  std::string PublicJwk(const std::string& kid) const;
  // The private key as a JWK object: what must be refused in a JWKS file.
  std::string PrivateJwk(const std::string& kid) const;
  // The public key in PEM (SubjectPublicKeyInfo).
  std::string PublicPem() const;
  // header.payload.signature, each part base64url; the signature made with
  // this key by its algorithm (ES256 as raw r||s), whatever the header says.
  std::string Sign(absl::string_view header_json, absl::string_view payload_json) const;

 private:
  TestKey(JwsAlg alg, std::shared_ptr<EVP_PKEY> key) : alg_(alg), key_(std::move(key)) {}
  JwsAlg alg_;
  std::shared_ptr<EVP_PKEY> key_;
};

// One RSA-2048 key per process, made on first use: making one takes a
// tenth of a second or more, so tests share it and only those that need RSA
// pay for it.
const TestKey& SharedRsaKey();

// {"keys": [jwk, ...]}.
std::string JwksJson(const std::vector<std::string>& jwks);
// A token MACed with HS256 under `secret` (the confusion attack).
std::string SignHs256(absl::string_view header_json, absl::string_view payload_json,
                      absl::string_view secret);

}  // namespace idgen::auth::testing

#endif  // IDGEN_AUTH_TESTING_JWT_SIGNER_H_
