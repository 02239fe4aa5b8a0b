// Copyright idgen authors.
//
// libFuzzer target: what a caller or an operator hands the authenticator.
// The first byte picks the parser, the rest is its input:
//   * even: an `Authorization` header value (ParseBearer, src/auth/bearer.h),
//     from REST callers and gRPC `authorization` metadata, then the lookup of
//     its token in a key file (KeyFile::FindKey);
//   * odd: the API-key file of `--auth-keys` (KeyFile::Parse).
// Promises checked, for every input:
//   * never a crash, an exception or a sanitizer report;
//   * a bearer token is a non-empty run of b64token characters and then
//     only '=', taken from the end of the header, and "Bearer <token>" parses
//     back to the same token; only the one right key finds its entry;
//   * a key file error is INVALID_ARGUMENT; an accepted file has entries
//     with valid, distinct names, a hash or a TLS identity, known scopes, at
//     least one namespace, and a burst of at least 1 when limited.
//
// Run:  build/fuzz/bin/auth_fuzz -max_total_time=60 fuzz/corpus/auth_fuzz
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "src/auth/bearer.h"
#include "src/auth/key_file.h"
#include "src/auth/principal.h"

namespace {

using idgen::auth::KeyEntry;
using idgen::auth::KeyFile;

constexpr absl::string_view kTheKey = "idgen_fuzz_0123456789abcdef";

bool IsB64TokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~' || c == '+' || c == '/';
}

const KeyFile& OneKeyFile() {
  static const std::shared_ptr<const KeyFile> file = [] {
    absl::StatusOr<std::shared_ptr<const KeyFile>> f = KeyFile::Parse(
        absl::StrCat(R"({"keys": [{"name": "fuzz", "sha256": ")", idgen::auth::HexSha256(kTheKey),
                     R"(", "scopes": ["ids:generate"]}]})"));
    FUZZ_CHECK(f.ok(), "the fixed key file: %s", f.status().ToString().c_str());
    return *f;
  }();
  return *file;
}

void CheckBearer(absl::string_view header) {
  const std::optional<absl::string_view> token = idgen::auth::ParseBearer(header);
  if (!token.has_value()) return;
  FUZZ_CHECK(!token->empty(), "an empty token from \"%.*s\"", static_cast<int>(header.size()),
             header.data());
  FUZZ_CHECK(absl::EndsWith(absl::StripTrailingAsciiWhitespace(header), *token),
             "the token is not the header's end");
  FUZZ_CHECK(absl::StartsWithIgnoreCase(header, "bearer "), "another scheme accepted");
  size_t i = 0;
  while (i < token->size() && IsB64TokenChar((*token)[i])) ++i;
  FUZZ_CHECK(i > 0, "a token that starts with '='");
  for (size_t j = i; j < token->size(); ++j) {
    FUZZ_CHECK((*token)[j] == '=', "a character outside b64token: 0x%02x",
               static_cast<unsigned char>((*token)[j]));
  }
  const std::string again = absl::StrCat("Bearer ", *token);
  const std::optional<absl::string_view> reparsed = idgen::auth::ParseBearer(again);
  FUZZ_CHECK(reparsed.has_value() && *reparsed == *token, "the token does not parse back");

  const KeyEntry* entry = OneKeyFile().FindKey(*token);
  FUZZ_CHECK((entry != nullptr) == (*token == kTheKey), "FindKey matched a wrong key");
}

void CheckKeyFile(const std::string& text) {
  absl::StatusOr<std::shared_ptr<const KeyFile>> file = KeyFile::Parse(text);
  if (!file.ok()) {
    FUZZ_CHECK(file.status().code() == absl::StatusCode::kInvalidArgument, "%s",
               file.status().ToString().c_str());
    return;
  }
  std::set<std::string> names;
  for (const KeyEntry& e : (*file)->entries()) {
    const idgen::auth::Principal& p = e.principal;
    FUZZ_CHECK(!p.name.empty() && p.name.size() <= 64, "name length %zu", p.name.size());
    FUZZ_CHECK(names.insert(p.name).second, "name %s twice", p.name.c_str());
    FUZZ_CHECK(e.sha256.has_value() || !e.tls_identity.empty(), "%s: neither key nor identity",
               p.name.c_str());
    FUZZ_CHECK(!p.scopes.empty(), "%s: no scopes", p.name.c_str());
    for (const std::string& s : p.scopes) {
      FUZZ_CHECK(idgen::auth::IsKnownScope(s), "%s: scope %s", p.name.c_str(), s.c_str());
    }
    FUZZ_CHECK(!p.namespaces.empty(), "%s: no namespaces", p.name.c_str());
    if (p.ids_per_second > 0) FUZZ_CHECK(p.burst >= 1, "%s: burst %f", p.name.c_str(), p.burst);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    CheckBearer(rest);
  } else {
    CheckKeyFile(rest);
  }
  return 0;
}
