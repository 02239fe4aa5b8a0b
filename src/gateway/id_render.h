// Copyright idgen authors.
//
// JSON bodies of the gateway's successful ID answers.
//
//   RenderIds:    {"namespace": "default", "scheme": "snowflake",
//                  "format": "decimal", "ids": ["7140..", ...]}
//     64-bit IDs in the requested format; 128-bit IDs in canonical text
//     whatever was asked: uuidv7 as lowercase UUID text (format "uuid"),
//     ulid as 26 uppercase Crockford base32 characters (format "ulid").
//     IDs are JSON strings (JavaScript numbers lose precision above 2^53).
//   RenderDecode: {"namespace": "default", "id": "<as given>",
//                  "timestamp_ms": 1700000000000,
//                  "timestamp": "2023-11-14T22:13:20.000Z",
//                  "worker": 3, "sequence": 12, "tick": 411165025343}
//
// Thread-safety: pure functions.
#ifndef IDGEN_GATEWAY_ID_RENDER_H_
#define IDGEN_GATEWAY_ID_RENDER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "idgen/codec.h"
#include "idgen/v1/idgen.pb.h"

namespace idgen::gateway {

std::string RenderIds(const v1::NextIdsResponse& response, IdFormat format);

std::string RenderDecode(std::string_view ns, std::string_view id_text,
                         const v1::DecodeResponse& decoded);

// Unix milliseconds as ISO 8601 / RFC 3339 UTC with milliseconds,
// "2023-11-14T22:13:20.000Z".
std::string IsoTimestamp(int64_t unix_ms);

}  // namespace idgen::gateway

#endif  // IDGEN_GATEWAY_ID_RENDER_H_
