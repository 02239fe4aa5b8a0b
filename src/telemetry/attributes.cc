// Copyright idgen authors.
#include "src/telemetry/attributes.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace idgen::telemetry {

std::string AttributeToString(const AttributeValue& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  std::array<char, 64> buf{};
  std::to_chars_result r{};
  if (const auto* i = std::get_if<int64_t>(&value)) {
    r = std::to_chars(buf.data(), buf.data() + buf.size(), *i);
  } else {
    r = std::to_chars(buf.data(), buf.data() + buf.size(), std::get<double>(value));
  }
  return {buf.data(), r.ptr};
}

Attributes Canonical(Attributes attrs) {
  std::stable_sort(attrs.begin(), attrs.end(),
                   [](const Attribute& a, const Attribute& b) { return a.first < b.first; });
  attrs.erase(
      std::unique(attrs.begin(), attrs.end(),
                  [](const Attribute& a, const Attribute& b) { return a.first == b.first; }),
      attrs.end());
  return attrs;
}

}  // namespace idgen::telemetry
