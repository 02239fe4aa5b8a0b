// Copyright idgen authors.
//
// TokenVerifier: the seam for bearer tokens that are not API keys (JWTs:
// three base64url parts, two dots). The Authenticator hands such a token to
// the verifier when one is set; the verifier returns the Principal the token
// stands for, or UNAUTHENTICATED saying why (expired, wrong audience, bad
// signature...; never the token itself).
//
// Thread-safety: Verify is called concurrently from every serving thread.
#ifndef IDGEN_AUTH_TOKEN_VERIFIER_H_
#define IDGEN_AUTH_TOKEN_VERIFIER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "src/auth/principal.h"

namespace idgen::auth {

class TokenVerifier {
 public:
  virtual ~TokenVerifier() = default;
  [[nodiscard]] virtual absl::StatusOr<Principal> Verify(absl::string_view token) = 0;
};

// Whether `token` has the shape of a JWT (exactly two dots).
bool LooksLikeJwt(absl::string_view token);

}  // namespace idgen::auth

#endif  // IDGEN_AUTH_TOKEN_VERIFIER_H_
