// Copyright idgen authors.
//
// Who is calling over mutual TLS: the identities in the client certificate
// gRPC verified (its subject common name and its subject alternative
// names), and whether one of them is on an allow-list
// (`idgen serve --tls-allowed-clients`).
//
// Thread-safety: pure functions.
#ifndef IDGEN_SECURITY_PEER_IDENTITY_H_
#define IDGEN_SECURITY_PEER_IDENTITY_H_

#include <string>
#include <vector>

#include <grpcpp/security/auth_context.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace idgen::security {

// The common name first, then every SAN (DNS names, IP addresses, URIs, as
// gRPC reports them). Empty for a call without a verified certificate.
std::vector<std::string> PeerIdentities(const grpc::AuthContext& auth);

// Whether any of `identities` equals (exactly, case-sensitively) an entry of
// `allowed`.
bool IdentityAllowed(const std::vector<std::string>& identities,
                     const std::vector<std::string>& allowed);

// "a,b , c" as {"a", "b", "c"}; INVALID_ARGUMENT for an empty list or an
// empty entry ("a,,b"), naming `flag`.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ParseAllowList(absl::string_view flag,
                                                                      absl::string_view text);

}  // namespace idgen::security

#endif  // IDGEN_SECURITY_PEER_IDENTITY_H_
