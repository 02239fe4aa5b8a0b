// Copyright idgen authors.
#include "src/gateway/json_body.h"

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "idgen/codec.h"

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
  using Json = nlohmann::json;
  // The keys seen so far in each object being parsed, innermost last.
  std::vector<std::set<std::string>> open;
  std::optional<std::string> duplicate;
  const Json::parser_callback_t note_keys = [&open, &duplicate](int, Json::parse_event_t event,
                                                                Json& parsed) {
    if (event == Json::parse_event_t::object_start) {
      open.emplace_back();
    } else if (event == Json::parse_event_t::object_end) {
      if (!open.empty()) open.pop_back();
    } else if (event == Json::parse_event_t::key && !open.empty() && parsed.is_string()) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!open.back().insert(key).second && !duplicate) duplicate = key;
    }
    return true;
  };
  Json j = Json::parse(body, note_keys, /*allow_exceptions=*/false);
  if (duplicate && !j.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat("key ", QuoteForMessage(*duplicate),
                                                   " appears more than once in one object of "
                                                   "the request body"));
  }
  return j;
}

}  // namespace idgen::gateway
