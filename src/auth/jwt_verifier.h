// Copyright idgen authors.
//
// JwtVerifier: checks a bearer JWT (RFC 7519, JWS compact form RFC 7515)
// against the keys of a JWKS file and the configured issuer and audience,
// and says who it names and what it grants.
//
// A token is accepted only when all of this holds:
//   * at most kMaxTokenBytes, three base64url parts (strict: no padding, no
//     stray characters), a header and payload that are JSON objects;
//   * the header's "alg" is RS256 or ES256 (an allow-list, RFC 8725 §3.1:
//     "none", HS256/384/512 -- including an HMAC keyed with the public key
//     -- and everything else are refused before any key is looked at); a
//     "crit" header is refused (no extension is understood);
//   * the key is the JWKS key with the header's "kid", or the only key for
//     the algorithm when there is no kid; the signature verifies with it
//     (ES256: the 64-byte r||s of RFC 7518 §3.4);
//   * "exp" (required) is not more than `leeway` in the past, "nbf" (if
//     given) not more than `leeway` in the future, both JSON numbers;
//   * "iss" equals the configured issuer; "aud" (a string or an array of
//     strings) holds the configured audience;
//   * "sub" is a non-empty string (the principal's name).
// Granted: the scopes of the space-separated "scope" claim (RFC 8693 §4.2;
// none when absent) and the namespaces of the optional "namespaces" claim
// (an array of names or "*"; all namespaces, "*", when absent; an empty
// array is refused).
//
// Every refusal is UNAUTHENTICATED with a message for the caller and the log
// that says why ("token expired 75 s ago", "alg HS256 is not accepted") and
// never holds the token.
//
// Cache: a token that verified is remembered (by its bytes) until its exp +
// leeway, so the next request with it costs one hash lookup and no
// signature check. Refusals are not cached. The cache holds at most
// `cache_entries` tokens and `cache_bytes` of them; when full, expired
// entries go first, then half of the rest. A change of the key set (a JWKS
// reload) empties it, so a key taken out of the file stops working at once.
//
// Why our own code and not a library: Debian 12's libjwt 1.10 checks no
// claims (exp, nbf, iss, aud are the caller's job) and reads no JWK or
// JWKS; librhonabwy does both but brings GnuTLS and jansson into a binary
// that already links OpenSSL 3 and nlohmann-json. The checks above are
// small with OpenSSL's EVP_DigestVerify, and are all tested here.
//
// Thread-safety: Verify may be called from any thread concurrently.
//
// Example:
//   auto keys = OpenJwksFile("/etc/idgen/jwks.json", SystemClock::Get());
//   auto verifier = JwtVerifier::Create(
//       {.issuer = "https://id.example", .audience = "idgen"},
//       [f = keys->get()] { return f->Current(); }, SystemClock::Get());
//   absl::StatusOr<std::shared_ptr<const VerifiedJwt>> who = (*verifier)->Verify(token);
#ifndef IDGEN_AUTH_JWT_VERIFIER_H_
#define IDGEN_AUTH_JWT_VERIFIER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "idgen/clock.h"
#include "idgen/internal/mutex.h"
#include "src/auth/jwks.h"

namespace idgen::auth {

struct JwtOptions {
  std::string issuer;    // required: "iss" must equal it
  std::string audience;  // required: "aud" must hold it
  absl::Duration leeway = absl::Seconds(60);
  size_t cache_entries = 10000;
  size_t cache_bytes = 8 * 1024 * 1024;
};

// What a verified token says.
struct VerifiedJwt {
  std::string subject;                  // "sub"
  std::vector<std::string> scopes;      // "scope", split at spaces
  std::vector<std::string> namespaces;  // "namespaces", or {"*"}
  absl::Time expires;                   // "exp"
};

class JwtVerifier {
 public:
  static constexpr size_t kMaxTokenBytes = 8 * 1024;

  // The key set in use; called once per Verify (keep it cheap). Must never
  // return null.
  using KeySource = std::function<std::shared_ptr<const Jwks>()>;

  // INVALID_ARGUMENT when the issuer or audience is empty or the leeway
  // negative. `clock` must outlive the verifier.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<JwtVerifier>> Create(JwtOptions options,
                                                                           KeySource keys,
                                                                           Clock* clock);

  // The token's claims, or UNAUTHENTICATED saying why it is refused.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const VerifiedJwt>> Verify(absl::string_view token)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Tokens in the cache now (for tests and metrics).
  size_t cached() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // A token that verified, and the span in which it stays good.
  struct Verified {
    std::shared_ptr<const VerifiedJwt> claims;
    absl::Time valid_from;   // nbf - leeway
    absl::Time valid_until;  // exp + leeway
  };
  JwtVerifier(JwtOptions options, KeySource keys, Clock* clock);
  absl::StatusOr<Verified> VerifyUncached(absl::string_view token, const Jwks& keys,
                                          absl::Time now) const;
  void Remember(absl::string_view token, const Verified& verified)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether the cache has no room for a token of `size` bytes more.
  bool CacheFull(size_t size) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the entries `drop(entry)` says to.
  template <typename Drop>
  void EraseCacheIf(Drop drop) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const JwtOptions options_;
  const KeySource keys_;
  Clock* const clock_;

  mutable Mutex mu_;
  std::shared_ptr<const Jwks> cached_keys_ ABSL_GUARDED_BY(mu_);  // the set the cache is for
  absl::flat_hash_map<std::string, Verified> cache_ ABSL_GUARDED_BY(mu_);
  size_t cache_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace idgen::auth

#endif  // IDGEN_AUTH_JWT_VERIFIER_H_
