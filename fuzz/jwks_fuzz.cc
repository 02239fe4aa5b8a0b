// Copyright idgen authors.
//
// libFuzzer target: Jwks::Parse (src/auth/jwks.h) on arbitrary bytes, the
// JWKS file an operator installs. Checks, for every input:
//   * never a crash, an exception or a sanitizer report (OpenSSL builds the
//     keys: RSA n/e and P-256 points come straight from the input);
//   * an error is INVALID_ARGUMENT (a resource error only for memory);
//   * a set that parses holds 1..kMaxKeys keys, each with a key object, no
//     two with one kid, and Select finds each key with a kid by its kid.
//
// Run:  build/fuzz/bin/jwks_fuzz -max_total_time=60 fuzz/corpus/jwks_fuzz
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "src/auth/jwks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using idgen::auth::Jwk;
  using idgen::auth::Jwks;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::shared_ptr<const Jwks>> set = Jwks::Parse(text);
  if (!set.ok()) {
    FUZZ_CHECK(set.status().code() == absl::StatusCode::kInvalidArgument ||
                   set.status().code() == absl::StatusCode::kResourceExhausted,
               "%s", set.status().ToString().c_str());
    return 0;
  }
  const Jwks& keys = **set;
  FUZZ_CHECK(!keys.keys().empty() && keys.keys().size() <= Jwks::kMaxKeys, "%zu keys",
             keys.keys().size());
  std::set<std::string> kids;
  for (const Jwk& key : keys.keys()) {
    FUZZ_CHECK(key.key != nullptr, "a key without a key object");
    if (key.kid.empty()) continue;
    FUZZ_CHECK(kids.insert(key.kid).second, "kid given twice");
    absl::StatusOr<const Jwk*> found = keys.Select(key.alg, true, key.kid);
    FUZZ_CHECK(found.ok() && *found == &key, "Select by kid missed its key");
  }
  return 0;
}
