// Copyright idgen authors.
#include "idgen/codec.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace idgen {
namespace {

constexpr std::string_view kBase62Alphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// Byte -> digit value, -1 for "not a digit". Built at compile time so that parsing
// is one load per character, with no branches on character classes.
using DigitTable = std::array<int16_t, 256>;  // -1: not a digit

constexpr DigitTable MakeTable(std::string_view alphabet, bool fold_case) {
  DigitTable t{};
  for (auto& v : t) v = -1;
  for (size_t i = 0; i < alphabet.size(); ++i) {
    const char c = alphabet[i];
    t[static_cast<uint8_t>(c)] = static_cast<int16_t>(i);
    if (fold_case && c >= 'A' && c <= 'Z')
      t[static_cast<uint8_t>(c - 'A' + 'a')] = static_cast<int16_t>(i);
  }
  return t;
}

constexpr DigitTable MakeCrockfordTable() {
  DigitTable t = MakeTable(kCrockfordAlphabet, /*fold_case=*/true);
  for (char c : {'I', 'i', 'L', 'l'}) t[static_cast<uint8_t>(c)] = 1;
  for (char c : {'O', 'o'}) t[static_cast<uint8_t>(c)] = 0;
  return t;
}

constexpr DigitTable kDecimalTable = MakeTable("0123456789", /*fold_case=*/false);
constexpr DigitTable kHexTable = MakeTable("0123456789ABCDEF", /*fold_case=*/true);
constexpr DigitTable kBase62Table = MakeTable(kBase62Alphabet, /*fold_case=*/false);
constexpr DigitTable kCrockfordTable = MakeCrockfordTable();

// Debian's abseil is built with its own string_view type, not std::string_view.
absl::string_view AbslView(std::string_view s) { return {s.data(), s.size()}; }

// Out of line and cold: only the failure path builds strings.
[[gnu::cold, gnu::noinline]] absl::Status InvalidCharacter(std::string_view text, size_t index,
                                                           IdFormat f) {
  return absl::InvalidArgumentError(
      absl::StrFormat("invalid character '%s' at position %d in %s ID %s",
                      absl::CHexEscape(AbslView(text.substr(index, 1))), index + 1, IdFormatName(f),
                      QuoteForMessage(text)));
}

[[gnu::cold, gnu::noinline]] absl::Status Overflow(std::string_view text, IdFormat f) {
  return absl::InvalidArgumentError(
      absl::StrFormat("%s ID %s overflows 64 bits", IdFormatName(f), QuoteForMessage(text)));
}

// Accumulates text[start..] in base kBase. A bad character anywhere wins over
// overflow, because it is the more specific complaint.
template <uint64_t kBase>
[[nodiscard]] absl::StatusOr<uint64_t> ParseDigits(std::string_view text, size_t start,
                                                   const DigitTable& table, IdFormat f) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t value = 0;
  bool overflow = false;
  for (size_t i = start; i < text.size(); ++i) {
    const int digit = table[static_cast<uint8_t>(text[i])];
    if (digit < 0) return InvalidCharacter(text, i, f);
    if (value > (kMax - static_cast<uint64_t>(digit)) / kBase) {
      overflow = true;
      continue;
    }
    value = value * kBase + static_cast<uint64_t>(digit);
  }
  if (overflow) return Overflow(text, f);
  return value;
}

size_t FormatPowerOfTwo(uint64_t id, int bits_per_digit, std::string_view alphabet, char* out) {
  char buf[64];
  char* p = buf + sizeof(buf);
  const uint64_t mask = (uint64_t{1} << bits_per_digit) - 1;
  do {
    *--p = alphabet[id & mask];
    id >>= bits_per_digit;
  } while (id != 0);
  const size_t n = static_cast<size_t>(buf + sizeof(buf) - p);
  std::copy(p, buf + sizeof(buf), out);
  return n;
}

}  // namespace

std::string QuoteForMessage(std::string_view text) {
  // Cut long input so that a hostile request cannot make us log megabytes.
  constexpr size_t kMaxQuoted = 64;
  if (text.size() <= kMaxQuoted) return absl::StrCat("\"", absl::CHexEscape(AbslView(text)), "\"");
  return absl::StrCat("\"", absl::CHexEscape(AbslView(text.substr(0, kMaxQuoted))), "...\" (",
                      text.size(), " bytes)");
}

int CrockfordDigitValue(char c) { return kCrockfordTable[static_cast<uint8_t>(c)]; }

size_t FormatIdTo(uint64_t id, IdFormat f, char* out) {
  switch (f) {
    case IdFormat::kDecimal:
      return static_cast<size_t>(std::to_chars(out, out + kMaxIdTextLength, id).ptr - out);
    case IdFormat::kHex:
      return static_cast<size_t>(std::to_chars(out, out + kMaxIdTextLength, id, 16).ptr - out);
    case IdFormat::kBase62: {
      char buf[kMaxIdTextLength];
      char* p = buf + sizeof(buf);
      do {
        *--p = kBase62Alphabet[id % 62];
        id /= 62;
      } while (id != 0);
      const size_t n = static_cast<size_t>(buf + sizeof(buf) - p);
      std::copy(p, buf + sizeof(buf), out);
      return n;
    }
    case IdFormat::kBase32:
      return FormatPowerOfTwo(id, 5, kCrockfordAlphabet, out);
  }
  return 0;  // Unreachable for valid enum values.
}

std::string FormatId(uint64_t id, IdFormat f) {
  char buf[kMaxIdTextLength];
  return std::string(buf, FormatIdTo(id, f, buf));
}

absl::StatusOr<uint64_t> ParseId(std::string_view text, IdFormat f) {
  if (text.empty()) return absl::InvalidArgumentError("empty ID");
  switch (f) {
    case IdFormat::kDecimal:
      return ParseDigits<10>(text, 0, kDecimalTable, f);
    case IdFormat::kHex: {
      size_t start = 0;
      if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        if (text.size() == 2) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "hex ID %s has no digits after the 0x prefix", QuoteForMessage(text)));
        }
        start = 2;
      }
      return ParseDigits<16>(text, start, kHexTable, f);
    }
    case IdFormat::kBase62:
      return ParseDigits<62>(text, 0, kBase62Table, f);
    case IdFormat::kBase32:
      return ParseDigits<32>(text, 0, kCrockfordTable, f);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown IdFormat ", static_cast<int>(f)));
}

absl::StatusOr<IdFormat> ParseIdFormat(std::string_view name) {
  for (IdFormat f : {IdFormat::kDecimal, IdFormat::kHex, IdFormat::kBase62, IdFormat::kBase32}) {
    if (absl::EqualsIgnoreCase(AbslView(name), AbslView(IdFormatName(f)))) return f;
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("unknown ID format %s; valid formats are decimal, hex, base62, base32",
                      QuoteForMessage(name)));
}

std::string_view IdFormatName(IdFormat f) {
  switch (f) {
    case IdFormat::kDecimal:
      return "decimal";
    case IdFormat::kHex:
      return "hex";
    case IdFormat::kBase62:
      return "base62";
    case IdFormat::kBase32:
      return "base32";
  }
  return "unknown";
}

}  // namespace idgen
