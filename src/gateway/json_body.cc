// Copyright idgen authors.
#include "src/gateway/json_body.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "idgen/codec.h"
#include "src/config/json_key_path.h"

namespace idgen::gateway {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

bool IsJsonMediaType(std::optional<std::string_view> content_type) {
  if (!content_type) return false;
  std::string_view type = content_type->substr(0, content_type->find(';'));
  while (!type.empty() && IsSpace(type.front())) type.remove_prefix(1);
  while (!type.empty() && IsSpace(type.back())) type.remove_suffix(1);
  constexpr std::string_view kJson = "application/json";
  if (type.size() != kJson.size()) return false;
  for (size_t i = 0; i < type.size(); ++i) {
    if (Lower(type[i]) != kJson[i]) return false;
  }
  return true;
}

absl::StatusOr<nlohmann::json> ParseJsonBody(std::string_view body) {
  config::JsonKeyPath path;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body, path.Callback(), /*allow_exceptions=*/false);
  } catch (const config::JsonKeyPath::TooDeep&) {
    return absl::InvalidArgumentError(absl::StrCat(
        "request body nests deeper than ", config::JsonKeyPath::kMaxDepth, " objects or arrays"));
  }
  if (!path.duplicate().empty() && !j.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat("key ", QuoteForMessage(path.duplicate()),
                                                   " appears more than once in one object of "
                                                   "the request body"));
  }
  return j;
}

}  // namespace idgen::gateway
