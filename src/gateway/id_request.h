// Copyright idgen authors.
//
// The parameters of the gateway's ID endpoints, parsed and checked before
// any backend is asked:
//   GET  /v1/ids?namespace=N&count=K&format=F
//   POST /v1/ids   {"namespace": N, "count": K, "format": F}
//   GET  /v1/ids/{id}/decode?namespace=N&format=F
//
// Rules (also in docs/API.md and openapi.json):
//   namespace  1..64 of [a-z0-9._-], starting with a letter or digit;
//              default "default"
//   count      a whole number 1..max_count (JSON: an integer); default 1
//   format     decimal | hex | base62 | base32 (case-insensitive); default
//              decimal. Applies to 64-bit IDs; 128-bit IDs are always in
//              their canonical text (UUID text, 26-char ULID).
// Unknown or repeated parameters (JSON: unknown or duplicate keys) are
// rejected, so that a typo is an error rather than a silent default.
//
// Errors: INVALID_ARGUMENT (-> 400) naming the parameter and what is allowed;
// RESOURCE_EXHAUSTED (-> 429) for a count above max_count.
//
// Thread-safety: pure functions.
#ifndef IDGEN_GATEWAY_ID_REQUEST_H_
#define IDGEN_GATEWAY_ID_REQUEST_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "idgen/codec.h"
#include "idgen/id128.h"

namespace idgen::gateway {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct IdsRequest {
  std::string ns = "default";
  uint32_t count = 1;
  IdFormat format = IdFormat::kDecimal;
};

// The ID of a decode request: 64-bit or 128-bit.
using DecodeId = std::variant<uint64_t, Id128>;

struct DecodeRequest {
  std::string ns = "default";
  DecodeId id;
};

[[nodiscard]] absl::StatusOr<IdsRequest> ParseIdsQuery(const QueryParams& query,
                                                       uint32_t max_count);
[[nodiscard]] absl::StatusOr<IdsRequest> ParseIdsBody(std::string_view body, uint32_t max_count);

// `id_text` is the {id} path segment (percent-decoded). A 36-character text
// with '-' at position 9 is read as a UUID and a 26-character one as a ULID
// (both 128-bit); anything else as a 64-bit ID in `format`.
[[nodiscard]] absl::StatusOr<DecodeRequest> ParseDecode(std::string_view id_text,
                                                        const QueryParams& query);

// Checks a namespace name (see the rules above).
[[nodiscard]] absl::Status CheckNamespace(std::string_view name);

}  // namespace idgen::gateway

#endif  // IDGEN_GATEWAY_ID_REQUEST_H_
