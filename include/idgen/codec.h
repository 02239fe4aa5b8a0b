// Copyright idgen authors.
//
// Text codecs for 64-bit IDs (Snowflake-style IDs, counters, ...).
//
// Four formats, all without padding, sign or separators:
//   kDecimal  "18446744073709551615"  digits 0-9
//   kHex      "ffffffffffffffff"      lowercase on output; input accepts either case
//                                     and an optional "0x" / "0X" prefix
//   kBase62   "LygHa16AHYF"           alphabet 0-9A-Za-z (value 0-9, 10-35, 36-61);
//                                     case-sensitive
//   kBase32   "FZZZZZZZZZZZZ"         Crockford's alphabet 0123456789ABCDEFGHJKMNPQRSTVWXYZ,
//                                     uppercase on output; input is case-insensitive and
//                                     reads I and L as 1, O as 0; U and '-' are rejected
// Formatting gives the shortest text (0 is "0"). Parsing accepts leading zeros and
// rejects everything else that is not a digit of the format: empty input, whitespace,
// signs, and values above 2^64-1. Every error is InvalidArgument and its message names
// the problem, e.g.
//   empty ID
//   invalid character 'x' at position 3 in base62 ID "12x"      (positions are 1-based)
//   decimal ID "18446744073709551616" overflows 64 bits
// If the text has both a bad character and too many digits, the bad character is
// reported.
//
// Cost: FormatId allocates only the returned string (FormatIdTo allocates nothing);
// ParseId allocates nothing unless it fails.
//
// Thread-safety: all functions are pure and may be called concurrently.
//
// Example:
//   std::string s = idgen::FormatId(255, idgen::IdFormat::kHex);          // "ff"
//   absl::StatusOr<uint64_t> id = idgen::ParseId("0xFF", idgen::IdFormat::kHex);
//   if (!id.ok()) return id.status();                                      // *id == 255
#ifndef IDGEN_CODEC_H_
#define IDGEN_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace idgen {

enum class IdFormat { kDecimal, kHex, kBase62, kBase32 };

// The longest text FormatId can produce (decimal of 2^64-1).
inline constexpr size_t kMaxIdTextLength = 20;

// Formats `id` in format `f`.
std::string FormatId(uint64_t id, IdFormat f);

// Writes the text of `id` to out[0..n) without a terminating NUL and returns n
// (1 <= n <= kMaxIdTextLength). `out` must have room for kMaxIdTextLength chars.
size_t FormatIdTo(uint64_t id, IdFormat f, char* out);

// Parses `text` in format `f`; see the file comment for what is accepted.
[[nodiscard]] absl::StatusOr<uint64_t> ParseId(std::string_view text, IdFormat f);

// Maps "decimal", "hex", "base62", "base32" (ASCII case-insensitive) to the format.
// Anything else is InvalidArgument, with a message that lists the valid names.
[[nodiscard]] absl::StatusOr<IdFormat> ParseIdFormat(std::string_view name);

// The canonical lowercase name of `f`, as accepted by ParseIdFormat.
std::string_view IdFormatName(IdFormat f);

// Crockford base32 digits, shared with the ULID codec.
inline constexpr std::string_view kCrockfordAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// The value 0-31 of one Crockford base32 digit, case-insensitive, with the aliases
// I/i/L/l -> 1 and O/o -> 0. Returns -1 for any other byte (including U and '-').
int CrockfordDigitValue(char c);

// How every idgen parser quotes user input in an error message: in double quotes,
// bytes outside printable ASCII hex-escaped (so the message stays one line), input
// longer than 64 bytes cut to its first 64 with its length noted, e.g.
//   "12x"   "\t12"   "11111...11111..." (1001 bytes)
std::string QuoteForMessage(std::string_view text);

}  // namespace idgen

#endif  // IDGEN_CODEC_H_
