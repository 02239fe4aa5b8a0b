// Copyright idgen authors.
//
// Id128: a 128-bit identifier (UUID, ULID) as 16 bytes in big-endian (network)
// order: byte 0 holds the most significant bits. Comparing two Id128 values with
// the std::array operators (<, ==, <=>) therefore orders them numerically, which
// for UUIDv7 and ULID is creation order.
//
// Example:
//   idgen::Id128 id{};  // all zero
//   id[15] = 1;         // the value 1
#ifndef IDGEN_ID128_H_
#define IDGEN_ID128_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace idgen {

using Id128 = std::array<uint8_t, 16>;

// The largest Unix-millisecond timestamp a 48-bit field holds:
// 10889-08-02T05:31:50.655Z. Generators fail with OutOfRange beyond it.
inline constexpr int64_t kMaxUnixMillis48 = (int64_t{1} << 48) - 1;

// The most significant 48 bits of `id`: the Unix-millisecond timestamp of both a
// UUIDv7 and a ULID.
constexpr int64_t Id128Top48(const Id128& id) {
  uint64_t v = 0;
  for (size_t i = 0; i < 6; ++i) v = (v << 8) | id[i];
  return static_cast<int64_t>(v);
}

}  // namespace idgen

#endif  // IDGEN_ID128_H_
