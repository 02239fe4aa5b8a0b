// Copyright idgen authors.
//
// IdBatch: IDs of one namespace as one source answered them, in plain types.
// Exactly one of `ids` (64-bit schemes: snowflake, segment) and `ids128`
// (128-bit schemes: uuidv7, ulid) is filled for a non-empty batch; either
// is strictly increasing as the source produced it.
#ifndef IDGEN_POOL_ID_BATCH_H_
#define IDGEN_POOL_ID_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace idgen::pool {

struct IdBatch {
  std::string ns;                   // the namespace as the source named it
  std::string scheme;               // "snowflake", "segment", "uuidv7", "ulid"
  std::vector<uint64_t> ids;        // IDs of 64-bit schemes
  std::vector<std::string> ids128;  // 16 bytes each, big-endian, as received

  size_t size() const { return ids.size() + ids128.size(); }
};

}  // namespace idgen::pool

#endif  // IDGEN_POOL_ID_BATCH_H_
