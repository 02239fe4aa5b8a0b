// Copyright idgen authors.
//
// What `idgen keys new` prints: a fresh API key ("idg_" and 43 base64url
// characters: 32 bytes from OpenSSL's RAND_bytes) and the key-file entry
// that admits it (only its SHA-256, see key_file.h).
//
// Thread-safety: pure functions (RAND_bytes is thread-safe).
#ifndef IDGEN_AUTH_NEW_KEY_H_
#define IDGEN_AUTH_NEW_KEY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace idgen::auth {

struct NewKeyRequest {
  std::string name;
  std::vector<std::string> scopes;
  std::vector<std::string> namespaces;  // empty: all ("*")
  std::optional<double> ids_per_second;
  std::optional<double> burst;
};

struct NewKey {
  std::string key;         // show once; never stored
  std::string entry_json;  // one entry of the "keys" list, pretty-printed
};

// INVALID_ARGUMENT naming the flag (--name, --scopes, --namespaces,
// --ids-per-second, --burst) for a value the key file would refuse;
// INTERNAL when the random generator fails.
[[nodiscard]] absl::StatusOr<NewKey> MakeNewKey(const NewKeyRequest& request);

}  // namespace idgen::auth

#endif  // IDGEN_AUTH_NEW_KEY_H_
