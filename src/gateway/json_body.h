// Copyright idgen authors.
//
// Reading a JSON request body (POST /v1/ids): the media type check and a
// strict parse.
//
// IsJsonMediaType accepts `application/json` (type and subtype
// case-insensitive) with optional parameters, e.g.
// `application/json; charset=utf-8`; anything else, and no Content-Type at
// all, is the caller's 415.
//
// ParseJsonBody parses like nlohmann::json::parse(body, nullptr, false)
// (text that is not JSON gives a value whose is_discarded() is true, for the
// caller to explain) but refuses a key that appears twice in one object: a
// plain parse keeps the last one, so a body could mean one thing to the
// gateway and another to whatever logged or checked it first (the check is
// config::JsonKeyPath's, shared with configuration files). That error, and
// nesting deeper than config::JsonKeyPath::kMaxDepth, are INVALID_ARGUMENT,
// for a 400:
//   key "count" appears more than once in one object of the request body
//   (a nested key by its path: "a.x")
//
// Thread-safety: pure functions.
#ifndef IDGEN_GATEWAY_JSON_BODY_H_
#define IDGEN_GATEWAY_JSON_BODY_H_

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace idgen::gateway {

// Whether `content_type` (a Content-Type value; nullopt: none sent) is
// application/json, parameters allowed.
bool IsJsonMediaType(std::optional<std::string_view> content_type);

// `body` as JSON (discarded if it is not JSON), refusing duplicate keys.
[[nodiscard]] absl::StatusOr<nlohmann::json> ParseJsonBody(std::string_view body);

}  // namespace idgen::gateway

#endif  // IDGEN_GATEWAY_JSON_BODY_H_
