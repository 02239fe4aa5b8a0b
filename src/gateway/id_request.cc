// Copyright idgen authors.
#include "src/gateway/id_request.h"

#include <limits>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "idgen/ulid_generator.h"
#include "idgen/uuidv7_generator.h"
#include "src/base/status_macros.h"
#include "src/gateway/json_body.h"

namespace idgen::gateway {
namespace {

constexpr size_t kMaxNamespaceLength = 64;

[[nodiscard]] absl::Status CheckCount(uint64_t count, uint32_t max_count, const std::string& text) {
  if (count == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("count must be a whole number from 1 to ", max_count, ", got ", text));
  }
  if (count > max_count) {
    return absl::ResourceExhaustedError(
        absl::StrCat("count ", text, " exceeds the limit of ", max_count, " IDs per request"));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::StatusOr<uint32_t> ParseCount(std::string_view text, uint32_t max_count) {
  const std::string quoted = QuoteForMessage(text);
  if (text.empty() || text.find_first_not_of("0123456789") != text.npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("count must be a whole number from 1 to ", max_count, ", got ", quoted));
  }
  uint64_t n = 0;
  for (char c : text) {
    const auto digit = static_cast<uint64_t>(c - '0');
    // Saturate: anything above max_count is rejected the same way.
    n = n > (std::numeric_limits<uint64_t>::max() - digit) / 10
            ? std::numeric_limits<uint64_t>::max()
            : n * 10 + digit;
  }
  IDGEN_RETURN_IF_ERROR(CheckCount(n, max_count, quoted));
  return static_cast<uint32_t>(n);
}

[[nodiscard]] absl::StatusOr<IdFormat> ParseFormat(std::string_view text) {
  absl::StatusOr<IdFormat> f = ParseIdFormat(text);
  if (!f.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("format ", QuoteForMessage(text),
                                                   " is not one of decimal, hex, base62, base32"));
  }
  return f;
}

// Rejects a parameter not in `allowed` and a repeated one.
[[nodiscard]] absl::Status CheckParamNames(const QueryParams& query,
                                           std::initializer_list<std::string_view> allowed) {
  for (size_t i = 0; i < query.size(); ++i) {
    const std::string& name = query[i].first;
    bool known = false;
    for (std::string_view a : allowed) known = known || name == a;
    if (!known) {
      std::string list;
      for (std::string_view a : allowed) {
        if (!list.empty()) list.append(", ");
        list.append(a);
      }
      return absl::InvalidArgumentError(
          absl::StrCat("unknown query parameter ", QuoteForMessage(name), "; allowed: ", list));
    }
    for (size_t j = 0; j < i; ++j) {
      if (query[j].first == name) {
        return absl::InvalidArgumentError(
            absl::StrCat("query parameter ", QuoteForMessage(name), " is given more than once"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckNamespace(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxNamespaceLength;
  for (size_t i = 0; ok && i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    ok = alnum || (i > 0 && (c == '.' || c == '_' || c == '-'));
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("namespace ", QuoteForMessage(name),
                     " must be 1..64 of [a-z0-9._-], starting with a letter or digit"));
  }
  return absl::OkStatus();
}

absl::StatusOr<IdsRequest> ParseIdsQuery(const QueryParams& query, uint32_t max_count) {
  IDGEN_RETURN_IF_ERROR(CheckParamNames(query, {"namespace", "count", "format"}));
  IdsRequest r;
  for (const auto& [name, value] : query) {
    if (name == "namespace") {
      IDGEN_RETURN_IF_ERROR(CheckNamespace(value));
      r.ns = value;
    } else if (name == "count") {
      IDGEN_ASSIGN_OR_RETURN(uint32_t count, ParseCount(value, max_count));
      r.count = count;
    } else {
      IDGEN_ASSIGN_OR_RETURN(IdFormat f, ParseFormat(value));
      r.format = f;
    }
  }
  return r;
}

absl::StatusOr<IdsRequest> ParseIdsBody(std::string_view body, uint32_t max_count) {
  IDGEN_ASSIGN_OR_RETURN(nlohmann::json parsed, ParseJsonBody(body));
  const nlohmann::json& j = parsed;
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(
        "request body must be a JSON object such as {\"namespace\": \"default\", \"count\": 2}");
  }
  IdsRequest r;
  for (const auto& [key, value] : j.items()) {
    if (key == "namespace") {
      if (!value.is_string()) return absl::InvalidArgumentError("namespace must be a string");
      const auto& name = value.get_ref<const std::string&>();
      IDGEN_RETURN_IF_ERROR(CheckNamespace(name));
      r.ns = name;
    } else if (key == "count") {
      if (!value.is_number_integer()) {
        return absl::InvalidArgumentError(
            absl::StrCat("count must be an integer from 1 to ", max_count, ", got ", value.dump()));
      }
      if (value.is_number_unsigned() || value.get<int64_t>() > 0) {
        const auto n = value.get<uint64_t>();
        IDGEN_RETURN_IF_ERROR(CheckCount(n, max_count, value.dump()));
        r.count = static_cast<uint32_t>(n);
      } else {
        return CheckCount(0, max_count, value.dump());
      }
    } else if (key == "format") {
      if (!value.is_string()) return absl::InvalidArgumentError("format must be a string");
      IDGEN_ASSIGN_OR_RETURN(IdFormat f, ParseFormat(value.get_ref<const std::string&>()));
      r.format = f;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown field ", QuoteForMessage(key),
                       " in request body; allowed: namespace, count, format"));
    }
  }
  return r;
}

absl::StatusOr<DecodeRequest> ParseDecode(std::string_view id_text, const QueryParams& query) {
  IDGEN_RETURN_IF_ERROR(CheckParamNames(query, {"namespace", "format"}));
  DecodeRequest r;
  IdFormat format = IdFormat::kDecimal;
  for (const auto& [name, value] : query) {
    if (name == "namespace") {
      IDGEN_RETURN_IF_ERROR(CheckNamespace(value));
      r.ns = value;
    } else {
      IDGEN_ASSIGN_OR_RETURN(IdFormat f, ParseFormat(value));
      format = f;
    }
  }
  if (id_text.size() == 36 && id_text[8] == '-') {
    absl::StatusOr<Id128> uuid = ParseUuid(id_text);
    if (!uuid.ok()) return absl::InvalidArgumentError(uuid.status().message());
    r.id = *uuid;
  } else if (id_text.size() == 26) {
    absl::StatusOr<Id128> ulid = ParseUlid(id_text);
    if (!ulid.ok()) return absl::InvalidArgumentError(ulid.status().message());
    r.id = *ulid;
  } else {
    absl::StatusOr<uint64_t> id = ParseId(id_text, format);
    if (!id.ok()) return absl::InvalidArgumentError(id.status().message());
    r.id = *id;
  }
  return r;
}

}  // namespace idgen::gateway
