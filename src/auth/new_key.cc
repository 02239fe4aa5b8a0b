// Copyright idgen authors.
#include "src/auth/new_key.h"

#include <openssl/rand.h>

#include <array>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "src/auth/key_file.h"

namespace idgen::auth {

absl::StatusOr<NewKey> MakeNewKey(const NewKeyRequest& request) {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return absl::InternalError("the random number generator failed (OpenSSL RAND_bytes)");
  }
  NewKey out;
  out.key = absl::StrCat("idg_", absl::WebSafeBase64Escape(absl::string_view(
                                     reinterpret_cast<const char*>(bytes.data()), bytes.size())));
  nlohmann::ordered_json e;
  e["name"] = request.name;
  e["sha256"] = HexSha256(out.key);
  e["scopes"] = request.scopes;
  e["namespaces"] = request.namespaces.empty() ? std::vector<std::string>{"*"} : request.namespaces;
  if (request.ids_per_second.has_value()) e["ids_per_second"] = *request.ids_per_second;
  if (request.burst.has_value()) e["burst"] = *request.burst;
  // The key file's own checks, so that what is printed always loads.
  nlohmann::ordered_json file;
  file["keys"] = nlohmann::ordered_json::array({e});
  absl::StatusOr<std::shared_ptr<const KeyFile>> parsed = KeyFile::Parse(file.dump());
  if (!parsed.ok()) {
    std::string message(parsed.status().message());
    // "keys[0] (name).scopes[1]: ..." -> name the flag instead.
    for (const auto& [key, flag] : {std::pair<const char*, const char*>{".scopes", "--scopes"},
                                    {".namespaces", "--namespaces"},
                                    {".ids_per_second", "--ids-per-second"},
                                    {".burst", "--burst"},
                                    {".name", "--name"}}) {
      if (message.find(key) != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat(flag, ": ", message));
      }
    }
    return absl::InvalidArgumentError(absl::StrCat("--name: ", message));
  }
  out.entry_json = e.dump(2);
  return out;
}

}  // namespace idgen::auth
