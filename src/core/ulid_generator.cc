// Copyright idgen authors.
#include "idgen/ulid_generator.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "idgen/codec.h"
#include "src/base/dcheck.h"
#include "src/base/status_macros.h"

namespace idgen {
namespace {

constexpr size_t kUlidTextLength = 26;

// Debian's abseil is built with its own string_view type, not std::string_view.
absl::string_view AbslView(std::string_view s) { return {s.data(), s.size()}; }

[[nodiscard]] absl::Status TimestampOverflow(int64_t unix_ms) {
  return absl::OutOfRangeError(
      absl::StrFormat("ULID timestamp %d ms exceeds the 48-bit field (max %d, year 10889)", unix_ms,
                      kMaxUnixMillis48));
}

// The 128-bit value as two halves, so the 5-bit groups of the text can be cut out
// with shifts.
struct U128 {
  uint64_t hi = 0;
  uint64_t lo = 0;
};

U128 ToU128(const Id128& id) {
  U128 v;
  for (size_t i = 0; i < 8; ++i) v.hi = (v.hi << 8) | id[i];
  for (size_t i = 8; i < 16; ++i) v.lo = (v.lo << 8) | id[i];
  return v;
}

// Bits [shift, shift+5) of v, for shift <= 125 (the top group has only 3 bits).
unsigned FiveBitsAt(const U128& v, int shift) {
  uint64_t bits;
  if (shift >= 64) {
    bits = v.hi >> (shift - 64);
  } else if (shift > 59) {
    bits = (v.lo >> shift) | (v.hi << (64 - shift));  // Straddles the halves.
  } else {
    bits = v.lo >> shift;
  }
  return static_cast<unsigned>(bits & 0x1F);
}

}  // namespace

UlidGenerator::UlidGenerator(Clock* clock, RandomSource* random) : clock_(clock), random_(random) {}

absl::Status UlidGenerator::AdvanceLocked(int64_t now_ms) {
  now_ms = std::max<int64_t>(now_ms, 0);
  if (now_ms > last_ms_) {
    if (now_ms > kMaxUnixMillis48) return TimestampOverflow(now_ms);
    last_ms_ = now_ms;
    random_->Fill(absl::MakeSpan(random_bits_));
    return absl::OkStatus();
  }
  // Same millisecond, or the clock went back: stay on last_ms_ and add one to the
  // 80-bit big-endian random part, carrying from the last byte upwards.
  for (size_t i = random_bits_.size(); i-- > 0;) {
    if (random_bits_[i] != 0xFF) {
      ++random_bits_[i];
      std::fill(random_bits_.begin() + static_cast<ptrdiff_t>(i) + 1, random_bits_.end(), 0);
      return absl::OkStatus();
    }
  }
  // All 80 bits were set: borrow the next millisecond (state untouched on failure).
  if (last_ms_ >= kMaxUnixMillis48) return TimestampOverflow(last_ms_ + 1);
  ++last_ms_;
  random_->Fill(absl::MakeSpan(random_bits_));
  return absl::OkStatus();
}

Id128 UlidGenerator::EncodeLocked() const {
  // Only AdvanceLocked moves the state, and it never leaves these bounds.
  IDGEN_DCHECK(last_ms_ >= 0 && last_ms_ <= kMaxUnixMillis48);
  const uint64_t ms = static_cast<uint64_t>(last_ms_);
  Id128 id;
  for (size_t i = 0; i < 6; ++i) id[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  std::copy(random_bits_.begin(), random_bits_.end(), id.begin() + 6);
  return id;
}

absl::StatusOr<Id128> UlidGenerator::Next() {
  const int64_t now_ms = clock_->WallUnixMillis();
  idgen::MutexLock lock(&mu_);
  IDGEN_RETURN_IF_ERROR(AdvanceLocked(now_ms));
  return EncodeLocked();
}

absl::Status UlidGenerator::NextBatch(absl::Span<Id128> out) {
  idgen::MutexLock lock(&mu_);
  for (Id128& id : out) {
    IDGEN_RETURN_IF_ERROR(AdvanceLocked(clock_->WallUnixMillis()));
    id = EncodeLocked();
  }
  return absl::OkStatus();
}

std::string FormatUlid(const Id128& ulid) {
  const U128 v = ToU128(ulid);
  std::string out(kUlidTextLength, '0');
  for (size_t i = 0; i < kUlidTextLength; ++i) {
    out[i] = kCrockfordAlphabet[FiveBitsAt(v, 125 - 5 * static_cast<int>(i))];
  }
  return out;
}

absl::StatusOr<Id128> ParseUlid(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("empty ULID");
  if (text.size() != kUlidTextLength) {
    return absl::InvalidArgumentError(absl::StrFormat("ULID %s has %d characters; expected 26",
                                                      QuoteForMessage(text), text.size()));
  }
  U128 v;
  for (size_t i = 0; i < text.size(); ++i) {
    const int digit = CrockfordDigitValue(text[i]);
    if (digit < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "invalid character '%s' at position %d in ULID %s",
          absl::CHexEscape(AbslView(text.substr(i, 1))), i + 1, QuoteForMessage(text)));
    }
    v.hi = (v.hi << 5) | (v.lo >> 59);
    v.lo = (v.lo << 5) | static_cast<uint64_t>(digit);
  }
  // Checked after the loop so that a bad character anywhere is reported first.
  if (CrockfordDigitValue(text[0]) > 7) {
    return absl::InvalidArgumentError(
        absl::StrFormat("ULID %s overflows 128 bits: first character must be 0-7, found '%s'",
                        QuoteForMessage(text), absl::CHexEscape(AbslView(text.substr(0, 1)))));
  }
  Id128 id;
  for (size_t i = 0; i < 8; ++i) id[i] = static_cast<uint8_t>(v.hi >> (56 - 8 * i));
  for (size_t i = 0; i < 8; ++i) id[8 + i] = static_cast<uint8_t>(v.lo >> (56 - 8 * i));
  return id;
}

int64_t UlidUnixMillis(const Id128& ulid) { return Id128Top48(ulid); }

}  // namespace idgen
