// Copyright idgen authors.
#include "src/auth/principal.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"

namespace idgen::auth {

bool IsKnownScope(absl::string_view scope) {
  return scope == kScopeGenerate || scope == kScopeDecode || scope == kScopeInfo ||
         scope == kScopeAdmin;
}

bool Principal::Allows(absl::string_view scope) const {
  return std::any_of(scopes.begin(), scopes.end(),
                     [scope](const std::string& s) { return s == scope; });
}

bool Principal::AllowsNamespace(absl::string_view ns) const {
  if (ns.empty()) ns = "default";
  return std::any_of(namespaces.begin(), namespaces.end(),
                     [ns](const std::string& n) { return n == "*" || n == ns; });
}

absl::Status Principal::CheckScope(absl::string_view scope) const {
  if (Allows(scope)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("caller \"", name, "\" lacks the scope \"", scope, "\""));
}

absl::Status Principal::Check(absl::string_view scope, absl::string_view ns) const {
  if (absl::Status s = CheckScope(scope); !s.ok()) return s;
  if (AllowsNamespace(ns)) return absl::OkStatus();
  if (ns.empty()) ns = "default";
  return absl::PermissionDeniedError(
      absl::StrCat("caller \"", name, "\" may not use the namespace \"", ns.substr(0, 64), "\""));
}

Principal AnonymousPrincipal() {
  Principal p;
  p.name = "anonymous";
  p.scopes = {std::string(kScopeGenerate), std::string(kScopeDecode), std::string(kScopeInfo),
              std::string(kScopeAdmin)};
  p.namespaces = {"*"};
  p.anonymous = true;
  return p;
}

}  // namespace idgen::auth
