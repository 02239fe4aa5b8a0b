// Copyright idgen authors.
//
// UlidGenerator: ULIDs (github.com/ulid/spec), strictly increasing per generator.
//
// A ULID is 128 bits, most significant first:
//   48 bits  Unix time in milliseconds, from Clock::WallNow()
//   80 bits  randomness
// and its text is 26 Crockford base32 characters (130 bits, so the first character
// is 0-7), e.g. "01ARZ3NDEKTSV4RRFFQ69G5FAV".
//
// Monotonic method (the spec's monotonicity section): at each new millisecond the 80
// random bits are drawn fresh; within the same millisecond, or when the wall clock
// has gone backwards (the generator then keeps its last timestamp), the previous 80
// bits are incremented by one. If they would overflow, the timestamp is advanced by
// 1 ms and fresh random bits are drawn; the spec says to fail here instead, but
// borrowing a millisecond keeps generation infallible, as UuidV7Generator does. So
// every ULID returned is greater than the previous one, as bytes and as text. A wall
// clock before 1970 is read as 1970-01-01.
//
// Ordering holds within one generator object; separate generators stay unique with
// overwhelming probability through the 80 random bits drawn per millisecond. Note
// that consecutive ULIDs of one millisecond differ by one, so they are guessable
// from each other: do not use them as secrets.
//
// Errors: Next/NextBatch fail only with OutOfRange once the timestamp would exceed
// 48 bits (year 10889); the generator state is then left unchanged.
//
// Thread-safety: Next and NextBatch may be called concurrently; an idgen::Mutex
// serialises them. Clock and RandomSource are not owned and must outlive the
// generator.
//
// Example:
//   idgen::UlidGenerator gen(idgen::SystemClock::Get(), idgen::OsRandom::Default());
//   absl::StatusOr<idgen::Id128> id = gen.Next();
//   if (!id.ok()) return id.status();
//   std::string text = idgen::FormatUlid(*id);  // "01J2XK3T6Q8Y0M5V7R9B1C2D3E"
#ifndef IDGEN_ULID_GENERATOR_H_
#define IDGEN_ULID_GENERATOR_H_

#include <array>
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

class UlidGenerator {
 public:
  UlidGenerator(Clock* clock, RandomSource* random);
  UlidGenerator(const UlidGenerator&) = delete;
  UlidGenerator& operator=(const UlidGenerator&) = delete;

  // Returns the next ULID, greater than every ULID this generator returned before.
  [[nodiscard]] absl::StatusOr<Id128> Next();

  // Fills `out` with consecutive ULIDs (as if by out.size() calls to Next) under one
  // lock acquisition. On error the elements before the failing one are valid ULIDs
  // and the rest of `out` is unspecified.
  [[nodiscard]] absl::Status NextBatch(absl::Span<Id128> out);

 private:
  // Moves (last_ms_, random_bits_) to the next value for a clock reading of `now_ms`.
  [[nodiscard]] absl::Status AdvanceLocked(int64_t now_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Id128 EncodeLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* const clock_;
  RandomSource* const random_;
  idgen::Mutex mu_;
  int64_t last_ms_ ABSL_GUARDED_BY(mu_) = -1;                      // -1: nothing generated yet.
  std::array<uint8_t, 10> random_bits_ ABSL_GUARDED_BY(mu_) = {};  // Big-endian.
};

// The 26-character uppercase Crockford base32 text of `ulid`.
std::string FormatUlid(const Id128& ulid);

// Parses exactly 26 Crockford base32 characters, case-insensitive, reading I and L
// as 1 and O as 0 (U and '-' are rejected). The first character must be 0-7: larger
// values do not fit in 128 bits. InvalidArgument names the problem, e.g.
//   invalid character 'U' at position 3 in ULID "01U..."
//   ULID "8ZZZZZZZZZZZZZZZZZZZZZZZZZ" overflows 128 bits: first character must be 0-7, ...
[[nodiscard]] absl::StatusOr<Id128> ParseUlid(std::string_view text);

// The timestamp (top 48 bits) in Unix milliseconds.
int64_t UlidUnixMillis(const Id128& ulid);

}  // namespace idgen

#endif  // IDGEN_ULID_GENERATOR_H_
