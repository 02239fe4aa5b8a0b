// Copyright idgen authors.
#include "src/security/peer_identity.h"

#include <grpc/grpc_security_constants.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace idgen::security {

std::vector<std::string> PeerIdentities(const grpc::AuthContext& auth) {
  std::vector<std::string> out;
  for (const char* property : {GRPC_X509_CN_PROPERTY_NAME, GRPC_X509_SAN_PROPERTY_NAME}) {
    for (const grpc::string_ref& v : auth.FindPropertyValues(property)) {
      std::string value(v.data(), v.size());
      if (std::find(out.begin(), out.end(), value) == out.end()) out.push_back(std::move(value));
    }
  }
  return out;
}

bool IdentityAllowed(const std::vector<std::string>& identities,
                     const std::vector<std::string>& allowed) {
  for (const std::string& id : identities) {
    if (std::find(allowed.begin(), allowed.end(), id) != allowed.end()) return true;
  }
  return false;
}

absl::StatusOr<std::vector<std::string>> ParseAllowList(absl::string_view flag,
                                                        absl::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    absl::string_view name = absl::StripAsciiWhitespace(part);
    if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, " \"", text,
                       "\": expected a comma-separated list of certificate names (CN or "
                       "SAN), with no empty entry"));
    }
    out.emplace_back(name);
  }
  return out;
}

}  // namespace idgen::security
