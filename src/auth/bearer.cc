// Copyright idgen authors.
#include "src/auth/bearer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "src/auth/token_verifier.h"

namespace idgen::auth {
namespace {

bool IsB64TokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~' || c == '+' || c == '/';
}

}  // namespace

std::optional<absl::string_view> ParseBearer(absl::string_view header) {
  constexpr absl::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size() || !absl::StartsWithIgnoreCase(header, kScheme)) {
    return std::nullopt;
  }
  absl::string_view rest = header.substr(kScheme.size());
  if (rest.front() != ' ') return std::nullopt;
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  if (rest.empty()) return std::nullopt;
  size_t i = 0;
  while (i < rest.size() && IsB64TokenChar(rest[i])) ++i;
  if (i == 0) return std::nullopt;
  for (size_t j = i; j < rest.size(); ++j) {
    if (rest[j] != '=') return std::nullopt;
  }
  return rest;
}

bool LooksLikeJwt(absl::string_view token) {
  int dots = 0;
  for (char c : token) dots += c == '.' ? 1 : 0;
  return dots == 2;
}

}  // namespace idgen::auth
