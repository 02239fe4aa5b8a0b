// Copyright idgen authors.
//
// UuidV7Generator: RFC 9562 version 7 UUIDs, strictly increasing per generator.
//
// Method: RFC 9562 section 6.2, "Method 1: Fixed Bit-Length Dedicated Counter", with a
// 42-bit counter. Bit layout (most significant first):
//   48 bits  unix_ts_ms   Unix time in milliseconds, from Clock::WallNow()
//    4 bits  ver          0b0111
//   12 bits  rand_a       counter bits 41..30
//    2 bits  var          0b10
//   30 bits  rand_b[0:30] counter bits 29..0
//   32 bits  rand_b[30:]  fresh random bytes for every UUID
// At each new millisecond the counter is re-seeded with 41 random bits (its most
// significant bit cleared, the RFC's rollover guard, so at least 2^41 UUIDs fit in
// one ms). Within a millisecond the counter increments by one. If it would pass
// 2^42-1, the timestamp is advanced by 1 ms and the counter re-seeded. If the wall
// clock goes backwards, the generator keeps its last timestamp and keeps counting,
// so every UUID it returns is greater than the one before (as a 128-bit big-endian
// number and as canonical text). The timestamp then runs ahead of the clock until
// the clock catches up. A wall clock before 1970 is read as 1970-01-01.
//
// Ordering holds within one generator object. Separate generators (threads with
// their own, processes, hosts) interleave; they stay unique with overwhelming
// probability thanks to the 73 random bits drawn per millisecond and per UUID.
//
// Errors: Next/NextBatch fail only with OutOfRange once the timestamp would exceed
// 48 bits (year 10889); the generator state is then left unchanged.
//
// Thread-safety: Next and NextBatch may be called concurrently; an idgen::Mutex
// serialises them. Clock and RandomSource are not owned and must outlive the
// generator.
//
// Example:
//   idgen::UuidV7Generator gen(idgen::SystemClock::Get(), idgen::OsRandom::Default());
//   absl::StatusOr<idgen::Id128> id = gen.Next();
//   if (!id.ok()) return id.status();
//   std::string text = idgen::FormatUuid(*id);  // "0190b6a5-3c1e-7a4f-8b2d-9e0f1a2b3c4d"
#ifndef IDGEN_UUIDV7_GENERATOR_H_
#define IDGEN_UUIDV7_GENERATOR_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "idgen/clock.h"
#include "idgen/id128.h"
#include "idgen/internal/mutex.h"
#include "idgen/random.h"

namespace idgen {

class UuidV7Generator {
 public:
  static constexpr int kCounterBits = 42;
  static constexpr uint64_t kMaxCounter = (uint64_t{1} << kCounterBits) - 1;

  UuidV7Generator(Clock* clock, RandomSource* random);
  UuidV7Generator(const UuidV7Generator&) = delete;
  UuidV7Generator& operator=(const UuidV7Generator&) = delete;

  // Returns the next UUID, greater than every UUID this generator returned before.
  [[nodiscard]] absl::StatusOr<Id128> Next();

  // Fills `out` with consecutive UUIDs (as if by out.size() calls to Next) under one
  // lock acquisition. On error the elements before the failing one are valid UUIDs
  // and the rest of `out` is unspecified.
  [[nodiscard]] absl::Status NextBatch(absl::Span<Id128> out);

  // Sets the last timestamp and counter, as if the last UUID had carried them.
  // For tests that need a counter near overflow. `counter` <= kMaxCounter.
  void SetStateForTesting(int64_t last_unix_ms, uint64_t counter);

 private:
  // Moves (last_ms_, counter_) to the next value for a clock reading of `now_ms`.
  [[nodiscard]] absl::Status AdvanceLocked(int64_t now_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReseedCounterLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Id128 EncodeLocked(const uint8_t* tail) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* const clock_;
  RandomSource* const random_;
  idgen::Mutex mu_;
  int64_t last_ms_ ABSL_GUARDED_BY(mu_) = -1;  // -1: nothing generated yet.
  uint64_t counter_ ABSL_GUARDED_BY(mu_) = 0;
};

// Canonical text: 36 lowercase characters, 8-4-4-4-12 hex digits with hyphens.
std::string FormatUuid(const Id128& uuid);

// Parses exactly 36 characters: hex digits (either case) with hyphens at positions
// 9, 14, 19 and 24 (1-based). No braces, "urn:uuid:" prefix or whitespace. Any UUID
// version is accepted; see ValidateUuidV7. InvalidArgument names the problem, e.g.
//   invalid character 'g' at position 3 in UUID "01g..."
[[nodiscard]] absl::StatusOr<Id128> ParseUuid(std::string_view text);

// The unix_ts_ms field (top 48 bits). Meaningful for UUIDv7 only.
int64_t UuidV7UnixMillis(const Id128& uuid);

// OK if `uuid` has version 7 and the RFC 9562 variant (0b10), else InvalidArgument
// naming the wrong field.
[[nodiscard]] absl::Status ValidateUuidV7(const Id128& uuid);

}  // namespace idgen

#endif  // IDGEN_UUIDV7_GENERATOR_H_
