// Copyright idgen authors.
//
// Principal: who a request comes from, as the authenticator established it
// (an API-key entry, a client certificate named by an entry, a verified
// token, or the anonymous caller of an open, loopback-only process), and
// what it may do: its scopes, the namespaces it may use and its quota.
//
// Scopes (docs/SECURITY.md):
//   ids:generate  NextId, NextIds, StreamIds; GET/POST /v1/ids
//   ids:decode    Decode; GET /v1/ids/{id}/decode
//   info          GetInfo; GET /v1/info
//   admin         reserved for operator routes
//
// Thread-safety: a value type; const methods may be called concurrently.
#ifndef IDGEN_AUTH_PRINCIPAL_H_
#define IDGEN_AUTH_PRINCIPAL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace idgen::auth {

inline constexpr absl::string_view kScopeGenerate = "ids:generate";
inline constexpr absl::string_view kScopeDecode = "ids:decode";
inline constexpr absl::string_view kScopeInfo = "info";
inline constexpr absl::string_view kScopeAdmin = "admin";

// Whether `scope` is one of the four above.
bool IsKnownScope(absl::string_view scope);

struct Principal {
  std::string name;  // the key entry's name, a token's subject, or "anonymous"
  std::vector<std::string> scopes;
  std::vector<std::string> namespaces;  // "*" = all
  // The caller's own token bucket: IDs per second and how many may be taken
  // at once. ids_per_second <= 0: no per-caller limit (only the process's).
  double ids_per_second = 0;
  double burst = 0;
  bool anonymous = false;

  bool Allows(absl::string_view scope) const;
  // "" means the namespace "default".
  bool AllowsNamespace(absl::string_view ns) const;
  // OK, or PERMISSION_DENIED naming the caller and the missing scope or
  // namespace (the namespace cut to 64 bytes).
  [[nodiscard]] absl::Status Check(absl::string_view scope, absl::string_view ns) const;
  [[nodiscard]] absl::Status CheckScope(absl::string_view scope) const;
};

// The caller of a process with no authentication configured: every scope,
// every namespace, no per-caller limit.
Principal AnonymousPrincipal();

}  // namespace idgen::auth

#endif  // IDGEN_AUTH_PRINCIPAL_H_
