// Copyright idgen authors.
#include "idgen/uuidv7_generator.h"

#include <algorithm>
#include <array>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "idgen/codec.h"
#include "src/base/dcheck.h"
#include "src/base/status_macros.h"

namespace idgen {
namespace {

constexpr size_t kUuidTextLength = 36;
constexpr size_t kTailBytes = 4;  // The per-UUID random bits at the end of rand_b.
constexpr char kHexDigits[] = "0123456789abcdef";

constexpr bool IsHyphenPosition(size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }

constexpr int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Debian's abseil is built with its own string_view type, not std::string_view.
absl::string_view AbslView(std::string_view s) { return {s.data(), s.size()}; }

[[nodiscard]] absl::Status TimestampOverflow(int64_t unix_ms) {
  return absl::OutOfRangeError(
      absl::StrFormat("UUIDv7 timestamp %d ms exceeds the 48-bit field (max %d, year 10889)",
                      unix_ms, kMaxUnixMillis48));
}

}  // namespace

UuidV7Generator::UuidV7Generator(Clock* clock, RandomSource* random)
    : clock_(clock), random_(random) {}

void UuidV7Generator::ReseedCounterLocked() {
  uint8_t b[6];
  random_->Fill(absl::MakeSpan(b));
  uint64_t seed = 0;
  for (uint8_t byte : b) seed = (seed << 8) | byte;
  // Keep 41 bits: the counter's top bit starts at 0, so a millisecond always has
  // room for at least 2^41 increments before it rolls over (RFC 9562 6.2).
  counter_ = seed & (kMaxCounter >> 1);
}

absl::Status UuidV7Generator::AdvanceLocked(int64_t now_ms) {
  now_ms = std::max<int64_t>(now_ms, 0);
  if (now_ms > last_ms_) {
    if (now_ms > kMaxUnixMillis48) return TimestampOverflow(now_ms);
    last_ms_ = now_ms;
    ReseedCounterLocked();
    return absl::OkStatus();
  }
  // Same millisecond, or the clock went back: stay on last_ms_ so order holds.
  if (counter_ < kMaxCounter) {
    ++counter_;
    return absl::OkStatus();
  }
  // Counter exhausted: borrow the next millisecond rather than wait for it, as the
  // RFC allows. The clock reading catches up with it later.
  if (last_ms_ >= kMaxUnixMillis48) return TimestampOverflow(last_ms_ + 1);
  ++last_ms_;
  ReseedCounterLocked();
  return absl::OkStatus();
}

Id128 UuidV7Generator::EncodeLocked(const uint8_t* tail) const {
  // Only AdvanceLocked moves the state, and it never leaves these bounds.
  IDGEN_DCHECK(last_ms_ >= 0 && last_ms_ <= kMaxUnixMillis48 && counter_ <= kMaxCounter);
  const uint64_t ms = static_cast<uint64_t>(last_ms_);
  const uint64_t c = counter_;
  Id128 id;
  for (size_t i = 0; i < 6; ++i) id[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  id[6] = static_cast<uint8_t>(0x70 | ((c >> 38) & 0x0F));  // version 7, counter 41..38
  id[7] = static_cast<uint8_t>(c >> 30);                    // counter 37..30
  id[8] = static_cast<uint8_t>(0x80 | ((c >> 24) & 0x3F));  // variant 0b10, counter 29..24
  id[9] = static_cast<uint8_t>(c >> 16);
  id[10] = static_cast<uint8_t>(c >> 8);
  id[11] = static_cast<uint8_t>(c);
  std::copy(tail, tail + kTailBytes, id.begin() + 12);
  return id;
}

absl::StatusOr<Id128> UuidV7Generator::Next() {
  const int64_t now_ms = clock_->WallUnixMillis();
  uint8_t tail[kTailBytes];
  idgen::MutexLock lock(&mu_);
  IDGEN_RETURN_IF_ERROR(AdvanceLocked(now_ms));
  random_->Fill(absl::MakeSpan(tail));
  return EncodeLocked(tail);
}

absl::Status UuidV7Generator::NextBatch(absl::Span<Id128> out) {
  // Random tails are drawn for 64 UUIDs at a time: one RandomSource call instead of
  // 64, without a heap buffer.
  constexpr size_t kChunk = 64;
  uint8_t tails[kChunk * kTailBytes];
  idgen::MutexLock lock(&mu_);
  for (size_t done = 0; done < out.size();) {
    const size_t n = std::min(kChunk, out.size() - done);
    random_->Fill(absl::MakeSpan(tails, n * kTailBytes));
    for (size_t j = 0; j < n; ++j) {
      IDGEN_RETURN_IF_ERROR(AdvanceLocked(clock_->WallUnixMillis()));
      out[done + j] = EncodeLocked(tails + j * kTailBytes);
    }
    done += n;
  }
  return absl::OkStatus();
}

void UuidV7Generator::SetStateForTesting(int64_t last_unix_ms, uint64_t counter) {
  idgen::MutexLock lock(&mu_);
  last_ms_ = last_unix_ms;
  counter_ = std::min(counter, kMaxCounter);
}

std::string FormatUuid(const Id128& uuid) {
  std::string out(kUuidTextLength, '-');
  size_t pos = 0;
  for (size_t i = 0; i < uuid.size(); ++i) {
    if (IsHyphenPosition(pos)) ++pos;
    out[pos++] = kHexDigits[uuid[i] >> 4];
    out[pos++] = kHexDigits[uuid[i] & 0x0F];
  }
  return out;
}

absl::StatusOr<Id128> ParseUuid(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("empty UUID");
  if (text.size() != kUuidTextLength) {
    return absl::InvalidArgumentError(
        absl::StrFormat("UUID %s has %d characters; expected 36 (8-4-4-4-12 hex digits)",
                        QuoteForMessage(text), text.size()));
  }
  Id128 id{};
  size_t nibble = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (IsHyphenPosition(i)) {
      if (c != '-') {
        return absl::InvalidArgumentError(
            absl::StrFormat("expected '-' at position %d in UUID %s, found '%s'", i + 1,
                            QuoteForMessage(text), absl::CHexEscape(AbslView(text.substr(i, 1)))));
      }
      continue;
    }
    const int v = HexValue(c);
    if (v < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "invalid character '%s' at position %d in UUID %s",
          absl::CHexEscape(AbslView(text.substr(i, 1))), i + 1, QuoteForMessage(text)));
    }
    id[nibble / 2] = static_cast<uint8_t>(id[nibble / 2] | (v << (nibble % 2 == 0 ? 4 : 0)));
    ++nibble;
  }
  return id;
}

int64_t UuidV7UnixMillis(const Id128& uuid) { return Id128Top48(uuid); }

absl::Status ValidateUuidV7(const Id128& uuid) {
  const int version = uuid[6] >> 4;
  if (version != 7) {
    return absl::InvalidArgumentError(
        absl::StrFormat("UUID %s has version %d, expected 7", FormatUuid(uuid), version));
  }
  const int variant = uuid[8] >> 6;
  if (variant != 0b10) {
    return absl::InvalidArgumentError(
        absl::StrFormat("UUID %s has variant bits 0b%d%d, expected 0b10 (RFC 9562)",
                        FormatUuid(uuid), variant >> 1, variant & 1));
  }
  return absl::OkStatus();
}

}  // namespace idgen
