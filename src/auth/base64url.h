// Copyright idgen authors.
//
// Base64url (RFC 4648 §5) without padding, as JOSE writes it (RFC 7515 §2):
// the one encoding of JWT segments and JWK numbers. Decoding is strict, so
// that one token has exactly one spelling: only the 64 URL-safe characters,
// no '=' padding, no whitespace, no length that leaves a lone character, and
// the unused low bits of the last character must be zero.
//
// Thread-safety: pure functions.
#ifndef IDGEN_AUTH_BASE64URL_H_
#define IDGEN_AUTH_BASE64URL_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace idgen::auth {

// The bytes `text` encodes, or nullopt when `text` is not strict base64url.
std::optional<std::string> Base64UrlDecode(absl::string_view text);

// `bytes` in base64url without padding.
std::string Base64UrlEncode(absl::string_view bytes);

}  // namespace idgen::auth

#endif  // IDGEN_AUTH_BASE64URL_H_
