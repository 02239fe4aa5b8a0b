// Copyright idgen authors.
//
// The bearer token of an `Authorization` header value (RFC 6750 section
// 2.1): "Bearer" (any case), one or more spaces, the token (the b64token
// characters: A-Z a-z 0-9 - . _ ~ + / then any '='). Shared by the REST
// gateway and the gRPC `authorization` metadata.
//
// Thread-safety: pure function.
#ifndef IDGEN_AUTH_BEARER_H_
#define IDGEN_AUTH_BEARER_H_

#include <optional>

#include "absl/strings/string_view.h"

namespace idgen::auth {

// The token, or nullopt when `header` is not a well-formed Bearer
// credential (another scheme, no token, characters outside b64token).
std::optional<absl::string_view> ParseBearer(absl::string_view header);

}  // namespace idgen::auth

#endif  // IDGEN_AUTH_BEARER_H_
