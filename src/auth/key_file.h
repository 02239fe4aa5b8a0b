// Copyright idgen authors.
//
// KeyFile: the API-key file of `--auth-keys` (JSON), parsed and checked.
// Only the SHA-256 of each key is stored; a key presented by a caller is
// hashed and compared with every entry in constant time (CRYPTO_memcmp).
//
//   {
//     "keys": [
//       {"name": "orders", "sha256": "<64 hex digits>",
//        "scopes": ["ids:generate"], "namespaces": ["orders"],
//        "ids_per_second": 1000, "burst": 2000},
//       {"name": "gateway", "tls_identity": "gateway.internal",
//        "scopes": ["ids:generate", "ids:decode", "info"]}
//     ]
//   }
//
// Each entry: `name` (1-64 of A-Z a-z 0-9 . _ -, unique; the metric label
// `caller`), `sha256` of the key and/or `tls_identity` (a client-certificate
// CN or SAN that stands for this entry), `scopes` (non-empty, known),
// `namespaces` (default ["*"]), `ids_per_second` and `burst` (> 0; absent:
// no per-caller limit; burst defaults to max(1, ids_per_second)). Unknown
// keys, duplicate names, hashes or identities are errors naming the entry
// and key ("keys[2] (orders).scopes[0]: ..."). Comments (// and /* */) are
// allowed.
//
// Thread-safety: immutable after Parse; share it via shared_ptr<const>.
#ifndef IDGEN_AUTH_KEY_FILE_H_
#define IDGEN_AUTH_KEY_FILE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "src/auth/principal.h"

namespace idgen::auth {

using Sha256 = std::array<uint8_t, 32>;

// SHA-256 of `text`, and as 64 lowercase hex digits.
Sha256 HashKey(absl::string_view text);
std::string HexSha256(absl::string_view text);

struct KeyEntry {
  Principal principal;
  std::optional<Sha256> sha256;
  std::string tls_identity;  // "" when none
};

class KeyFile {
 public:
  // INVALID_ARGUMENT naming the entry and key for anything wrong.
  [[nodiscard]] static absl::StatusOr<std::shared_ptr<const KeyFile>> Parse(
      const std::string& text);
  // ReadTextFile + Parse; errors start with the path.
  [[nodiscard]] static absl::StatusOr<std::shared_ptr<const KeyFile>> Load(const std::string& path);

  // The entry whose key is `key`: every entry's hash is compared (constant
  // time each), so the time does not depend on which one matches. Null if
  // none does.
  const KeyEntry* FindKey(absl::string_view key) const;
  // The first entry whose tls_identity is one of `identities`; null if none.
  const KeyEntry* FindIdentity(const std::vector<std::string>& identities) const;

  const std::vector<KeyEntry>& entries() const { return entries_; }

 private:
  std::vector<KeyEntry> entries_;
};

}  // namespace idgen::auth

#endif  // IDGEN_AUTH_KEY_FILE_H_
