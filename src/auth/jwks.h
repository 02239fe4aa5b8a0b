// Copyright idgen authors.
//
// Jwks: the public keys JWTs are checked against, read from a JSON Web Key
// Set document (RFC 7517 §5: {"keys": [JWK, ...]}).
//
// Accepted, and nothing else (the whole set is refused, naming the key by
// its index and member, e.g. "keys[1].crv: ..."):
//   * "kty": "RSA" with "n" and "e" (RFC 7518 §6.3.1), a modulus of 2048 to
//     8192 bits; verifies RS256.
//   * "kty": "EC" with "crv": "P-256", "x" and "y" of 32 bytes each, a point
//     on the curve (RFC 7518 §6.2.1); verifies ES256.
//   * "kid": optional, unique within the set; "alg": optional, and if
//     given "RS256" for an RSA key, "ES256" for an EC one; "use": optional,
//     and if given "sig"; "key_ops": optional, and if given it lists
//     "verify".
//   * A key holding private members ("d", "p", "q", "dp", "dq", "qi",
//     "oth", "k") is refused: the file is for public keys only.
//   * Other members (x5c, x5t, ...) are ignored (RFC 7517 §4).
// At least one key, at most kMaxKeys.
//
// Keys come only from this file: a token's own "jku", "jwk", "x5u" or "x5c"
// header is never followed or trusted (RFC 8725 §3.10).
//
// Thread-safety: a Jwks is immutable once parsed; share it freely (OpenSSL
// 3 allows concurrent verifications with one EVP_PKEY).
#ifndef IDGEN_AUTH_JWKS_H_
#define IDGEN_AUTH_JWKS_H_

#include <openssl/evp.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace idgen::auth {

// The JWS algorithms idgen accepts (RFC 8725 §3.1: an allow-list).
enum class JwsAlg { kRs256, kEs256 };

// "RS256" or "ES256".
absl::string_view JwsAlgName(JwsAlg alg);

struct Jwk {
  std::string kid;  // empty when the key has none
  JwsAlg alg = JwsAlg::kRs256;
  std::shared_ptr<EVP_PKEY> key;  // public key; never null
};

class Jwks {
 public:
  static constexpr size_t kMaxKeys = 64;

  // Parses a JWKS document (JSON, comments allowed as in idgen's other
  // files). INVALID_ARGUMENT naming the key and member on anything above.
  [[nodiscard]] static absl::StatusOr<std::shared_ptr<const Jwks>> Parse(absl::string_view json);
  // Reads and parses `path`. Errors start with "JWKS file <path>: ".
  [[nodiscard]] static absl::StatusOr<std::shared_ptr<const Jwks>> ReadFile(
      const std::string& path);

  // The key that verifies a token whose header has `alg` and, when
  // `has_kid`, `kid`: the key with that kid (which must fit `alg`), or,
  // without a kid, the only key that fits `alg`. UNAUTHENTICATED naming
  // why otherwise (no such kid, a kid for another algorithm, no key or
  // several keys for the algorithm). The pointer lives as long as this set.
  [[nodiscard]] absl::StatusOr<const Jwk*> Select(JwsAlg alg, bool has_kid,
                                                  absl::string_view kid) const;

  const std::vector<Jwk>& keys() const { return keys_; }

 private:
  std::vector<Jwk> keys_;
};

}  // namespace idgen::auth

#endif  // IDGEN_AUTH_JWKS_H_
