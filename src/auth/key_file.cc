// Copyright idgen authors.
#include "src/auth/key_file.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "src/config/json_fields.h"

namespace idgen::auth {
namespace {

using config::Json;

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::vector<std::string>> StringList(const Json& entry, const std::string& key,
                                                    const std::string& path) {
  const Json& list = entry.at(key);
  const std::string where = config::Child(path, key);
  if (!list.is_array()) return config::KeyError(where, "must be a list of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string item = absl::StrCat(where, "[", i, "]");
    if (!list[i].is_string() || list[i].get<std::string>().empty()) {
      return config::KeyError(item, "must be a non-empty string");
    }
    out.push_back(list[i].get<std::string>());
  }
  return out;
}

absl::StatusOr<double> Rate(const Json& entry, const std::string& key, const std::string& path) {
  const Json& v = entry.at(key);
  if (!v.is_number() || v.get<double>() <= 0 || v.get<double>() > 1e12) {
    return config::KeyError(config::Child(path, key), "must be a number in (0, 1e12]");
  }
  return v.get<double>();
}

absl::StatusOr<Sha256> ParseHex(const std::string& hex, const std::string& path) {
  Sha256 out{};
  bool ok = hex.size() == 64;
  for (size_t i = 0; ok && i < 64; ++i)
    ok = absl::ascii_isxdigit(static_cast<unsigned char>(hex[i]));
  if (!ok) {
    return config::KeyError(path,
                            "must be 64 hex digits (the SHA-256 of the key, as `idgen keys new` "
                            "prints it)");
  }
  const std::string bytes = absl::HexStringToBytes(hex);
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

absl::StatusOr<KeyEntry> ParseEntry(const Json& e, const std::string& path) {
  if (!e.is_object()) return config::KeyError(path, "must be an object");
  absl::Status s = config::CheckKeys(
      e, path,
      {"name", "sha256", "tls_identity", "scopes", "namespaces", "ids_per_second", "burst"});
  if (!s.ok()) return s;
  KeyEntry out;
  Principal& p = out.principal;
  absl::StatusOr<std::string> name = config::GetString(e, "name", path, "");
  if (!name.ok()) return name.status();
  if (!ValidName(*name)) {
    return config::KeyError(config::Child(path, "name"),
                            "required: 1-64 characters of A-Z a-z 0-9 . _ -");
  }
  p.name = *name;
  const std::string at = absl::StrCat(path, " (", p.name, ")");
  absl::StatusOr<std::string> hex = config::GetString(e, "sha256", at, "");
  if (!hex.ok()) return hex.status();
  if (!hex->empty()) {
    absl::StatusOr<Sha256> h = ParseHex(*hex, config::Child(at, "sha256"));
    if (!h.ok()) return h.status();
    out.sha256 = *h;
  }
  absl::StatusOr<std::string> identity = config::GetString(e, "tls_identity", at, "");
  if (!identity.ok()) return identity.status();
  out.tls_identity = *identity;
  if (!out.sha256.has_value() && out.tls_identity.empty()) {
    return config::KeyError(at,
                            "needs \"sha256\" (an API key) or \"tls_identity\" (a client "
                            "certificate name), or both");
  }
  if (!e.contains("scopes")) return config::KeyError(config::Child(at, "scopes"), "required");
  absl::StatusOr<std::vector<std::string>> scopes = StringList(e, "scopes", at);
  if (!scopes.ok()) return scopes.status();
  if (scopes->empty()) return config::KeyError(config::Child(at, "scopes"), "must not be empty");
  for (size_t i = 0; i < scopes->size(); ++i) {
    if (!IsKnownScope((*scopes)[i])) {
      return config::KeyError(absl::StrCat(config::Child(at, "scopes"), "[", i, "]"),
                              absl::StrCat("unknown scope \"", (*scopes)[i].substr(0, 64),
                                           "\"; known: ids:generate, ids:decode, info, admin"));
    }
  }
  p.scopes = *std::move(scopes);
  if (e.contains("namespaces")) {
    absl::StatusOr<std::vector<std::string>> ns = StringList(e, "namespaces", at);
    if (!ns.ok()) return ns.status();
    if (ns->empty()) {
      return config::KeyError(config::Child(at, "namespaces"),
                              "must not be empty (leave it out, or [\"*\"], for all)");
    }
    p.namespaces = *std::move(ns);
  } else {
    p.namespaces = {"*"};
  }
  if (e.contains("ids_per_second")) {
    absl::StatusOr<double> rate = Rate(e, "ids_per_second", at);
    if (!rate.ok()) return rate.status();
    p.ids_per_second = *rate;
    p.burst = std::max(1.0, p.ids_per_second);
  }
  if (e.contains("burst")) {
    if (!e.contains("ids_per_second")) {
      return config::KeyError(config::Child(at, "burst"), "needs \"ids_per_second\"");
    }
    absl::StatusOr<double> burst = Rate(e, "burst", at);
    if (!burst.ok()) return burst.status();
    if (*burst < 1) return config::KeyError(config::Child(at, "burst"), "must be at least 1");
    p.burst = *burst;
  }
  return out;
}

}  // namespace

Sha256 HashKey(absl::string_view text) {
  Sha256 out{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}

std::string HexSha256(absl::string_view text) {
  const Sha256 h = HashKey(text);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

absl::StatusOr<std::shared_ptr<const KeyFile>> KeyFile::Parse(const std::string& text) {
  absl::StatusOr<Json> json = config::ParseJson(text);
  if (!json.ok()) return json.status();
  if (!json->is_object()) return config::KeyError("(top)", "must be an object with \"keys\"");
  if (absl::Status s = config::CheckKeys(*json, "", {"keys"}); !s.ok()) return s;
  if (!json->contains("keys") || !(*json)["keys"].is_array()) {
    return config::KeyError("keys", "required: a list of key entries");
  }
  auto file = std::make_shared<KeyFile>();
  std::set<std::string> names;
  std::set<Sha256> hashes;
  std::set<std::string> identities;
  const Json& keys = (*json)["keys"];
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::string path = absl::StrCat("keys[", i, "]");
    absl::StatusOr<KeyEntry> entry = ParseEntry(keys[i], path);
    if (!entry.ok()) return entry.status();
    const std::string at = absl::StrCat(path, " (", entry->principal.name, ")");
    if (!names.insert(entry->principal.name).second) {
      return config::KeyError(config::Child(at, "name"), "given to an earlier entry too");
    }
    if (entry->sha256.has_value() && !hashes.insert(*entry->sha256).second) {
      return config::KeyError(config::Child(at, "sha256"), "the same key as an earlier entry");
    }
    if (!entry->tls_identity.empty() && !identities.insert(entry->tls_identity).second) {
      return config::KeyError(config::Child(at, "tls_identity"),
                              "names the same certificate as an earlier entry");
    }
    file->entries_.push_back(*std::move(entry));
  }
  return std::shared_ptr<const KeyFile>(std::move(file));
}

absl::StatusOr<std::shared_ptr<const KeyFile>> KeyFile::Load(const std::string& path) {
  absl::StatusOr<std::string> text = config::ReadTextFile(path, 1 << 20);
  if (!text.ok()) return text.status();
  absl::StatusOr<std::shared_ptr<const KeyFile>> file = Parse(*text);
  if (!file.ok()) {
    return absl::Status(file.status().code(),
                        absl::StrCat("key file ", path, ": ", file.status().message()));
  }
  return file;
}

const KeyEntry* KeyFile::FindKey(absl::string_view key) const {
  const Sha256 h = HashKey(key);
  const KeyEntry* found = nullptr;
  for (const KeyEntry& e : entries_) {
    if (!e.sha256.has_value()) continue;
    // No early exit: every hash is compared.
    if (CRYPTO_memcmp(e.sha256->data(), h.data(), h.size()) == 0) found = &e;
  }
  return found;
}

const KeyEntry* KeyFile::FindIdentity(const std::vector<std::string>& identities) const {
  for (const KeyEntry& e : entries_) {
    if (e.tls_identity.empty()) continue;
    for (const std::string& id : identities) {
      if (id == e.tls_identity) return &e;
    }
  }
  return nullptr;
}

}  // namespace idgen::auth
