// Copyright idgen authors.
#include "src/config/json_fields.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace idgen::config {

absl::Status KeyError(const std::string& path, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(path.empty() ? "(root)" : path, ": ", what));
}

absl::StatusOr<Json> ParseJson(const std::string& text) {
  Json root = Json::parse(text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (!root.is_discarded()) return root;
  // Parse again with exceptions to get the position of the error.
  try {
    const Json again = Json::parse(text, nullptr, true, true);
    (void)again;
  } catch (const Json::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat("not valid JSON: ", e.what()));
  }
  return absl::InvalidArgumentError("not valid JSON");
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("file ", path, " cannot be read"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Child(const std::string& path, const std::string& key) {
  return path.empty() ? key : absl::StrCat(path, ".", key);
}

absl::Status CheckKeys(const Json& obj, const std::string& path,
                       const std::set<std::string>& allowed) {
  if (!obj.is_object()) return KeyError(path, "must be an object");
  for (const auto& [key, value] : obj.items()) {
    if (allowed.count(key) == 0) {
      return KeyError(Child(path, key),
                      absl::StrCat("unknown key; allowed keys: ", absl::StrJoin(allowed, ", ")));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> GetInt(const Json& obj, const std::string& key, const std::string& path,
                               int64_t min, int64_t max, int64_t fallback) {
  if (!obj.contains(key)) return fallback;
  const Json& v = obj.at(key);
  const std::string p = Child(path, key);
  if (!v.is_number_integer()) return KeyError(p, "must be an integer");
  const int64_t n = v.get<int64_t>();
  if (n < min || n > max) {
    return KeyError(p, absl::StrCat("must be between ", min, " and ", max, ", got ", n));
  }
  return n;
}

absl::StatusOr<std::string> GetString(const Json& obj, const std::string& key,
                                      const std::string& path, const std::string& fallback) {
  if (!obj.contains(key)) return fallback;
  const Json& v = obj.at(key);
  if (!v.is_string()) return KeyError(Child(path, key), "must be a string");
  return v.get<std::string>();
}

absl::StatusOr<bool> GetBool(const Json& obj, const std::string& key, const std::string& path,
                             bool fallback) {
  if (!obj.contains(key)) return fallback;
  const Json& v = obj.at(key);
  if (!v.is_boolean()) return KeyError(Child(path, key), "must be true or false");
  return v.get<bool>();
}

}  // namespace idgen::config
