// Copyright idgen authors.
#include "idgen/codec.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace idgen {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
constexpr uint64_t kTwoTo63 = uint64_t{1} << 63;
constexpr IdFormat kAllFormats[] = {IdFormat::kDecimal, IdFormat::kHex, IdFormat::kBase62,
                                    IdFormat::kBase32};

std::string ErrorOf(std::string_view text, IdFormat f) {
  absl::StatusOr<uint64_t> r = ParseId(text, f);
  EXPECT_FALSE(r.ok()) << "parsed \"" << text << "\" as " << IdFormatName(f);
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(r.status().message());
}

TEST(CodecTest, KnownVectors) {
  struct Case {
    uint64_t id;
    IdFormat f;
    std::string_view text;
  };
  const Case cases[] = {
      {0, IdFormat::kDecimal, "0"},
      {kMax, IdFormat::kDecimal, "18446744073709551615"},
      {kTwoTo63, IdFormat::kDecimal, "9223372036854775808"},
      {0, IdFormat::kHex, "0"},
      {255, IdFormat::kHex, "ff"},
      {kMax, IdFormat::kHex, "ffffffffffffffff"},
      {kTwoTo63, IdFormat::kHex, "8000000000000000"},
      {0, IdFormat::kBase62, "0"},
      {61, IdFormat::kBase62, "z"},
      {62, IdFormat::kBase62, "10"},
      {35, IdFormat::kBase62, "Z"},
      {36, IdFormat::kBase62, "a"},
      {kMax, IdFormat::kBase62, "LygHa16AHYF"},
      {kTwoTo63, IdFormat::kBase62, "AzL8n0Y58m8"},
      {1234567890123456789, IdFormat::kBase62, "1TCKi1nFuNh"},
      {0, IdFormat::kBase32, "0"},
      {31, IdFormat::kBase32, "Z"},
      {32, IdFormat::kBase32, "10"},
      {kMax, IdFormat::kBase32, "FZZZZZZZZZZZZ"},
      {kTwoTo63, IdFormat::kBase32, "8000000000000"},
      {1234567890123456789, IdFormat::kBase32, "128GGYHYYK08N"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(FormatId(c.id, c.f), c.text);
    absl::StatusOr<uint64_t> parsed = ParseId(c.text, c.f);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, c.id);
  }
}

TEST(CodecTest, RoundTripsRandomValuesOfEveryLength) {
  std::mt19937_64 rng(20240601);
  for (int i = 0; i < 100'000; ++i) {
    // Shift by a random amount so that short encodings are covered as well as long.
    const uint64_t id = rng() >> (rng() % 64);
    for (IdFormat f : kAllFormats) {
      const std::string text = FormatId(id, f);
      absl::StatusOr<uint64_t> parsed = ParseId(text, f);
      ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
      ASSERT_EQ(*parsed, id) << IdFormatName(f) << " " << text;
    }
  }
}

TEST(CodecTest, FormatIdToMatchesFormatIdAndFitsTheBound) {
  for (uint64_t id : {uint64_t{0}, uint64_t{1}, kTwoTo63, kMax}) {
    for (IdFormat f : kAllFormats) {
      char buf[kMaxIdTextLength];
      const size_t n = FormatIdTo(id, f, buf);
      ASSERT_LE(n, kMaxIdTextLength);
      EXPECT_EQ(std::string(buf, n), FormatId(id, f));
    }
  }
}

TEST(CodecTest, AcceptsLeadingZeros) {
  EXPECT_EQ(*ParseId("00000000000000000000000042", IdFormat::kDecimal), 42u);
  EXPECT_EQ(*ParseId("0000000000000000000ff", IdFormat::kHex), 255u);
}

TEST(CodecTest, HexAcceptsEitherCaseAndOptionalPrefix) {
  EXPECT_EQ(*ParseId("FF", IdFormat::kHex), 255u);
  EXPECT_EQ(*ParseId("0xff", IdFormat::kHex), 255u);
  EXPECT_EQ(*ParseId("0XfF", IdFormat::kHex), 255u);
  EXPECT_EQ(*ParseId("0xFFFFFFFFFFFFFFFF", IdFormat::kHex), kMax);
  EXPECT_EQ(*ParseId("0", IdFormat::kHex), 0u);
}

TEST(CodecTest, HexRejectsBarePrefixAndMisplacedX) {
  EXPECT_THAT(ErrorOf("0x", IdFormat::kHex),
              HasSubstr("hex ID \"0x\" has no digits after the 0x prefix"));
  EXPECT_THAT(ErrorOf("x12", IdFormat::kHex),
              HasSubstr("invalid character 'x' at position 1 in hex ID \"x12\""));
  EXPECT_THAT(ErrorOf("0x0x1", IdFormat::kHex),
              HasSubstr("invalid character 'x' at position 4 in hex ID \"0x0x1\""));
  EXPECT_THAT(ErrorOf("12g", IdFormat::kHex),
              HasSubstr("invalid character 'g' at position 3 in hex ID \"12g\""));
}

TEST(CodecTest, Base32IsCaseInsensitiveWithCrockfordAliases) {
  EXPECT_EQ(*ParseId("fzzzzzzzzzzzz", IdFormat::kBase32), kMax);
  EXPECT_EQ(*ParseId("I", IdFormat::kBase32), 1u);
  EXPECT_EQ(*ParseId("i", IdFormat::kBase32), 1u);
  EXPECT_EQ(*ParseId("L", IdFormat::kBase32), 1u);
  EXPECT_EQ(*ParseId("l", IdFormat::kBase32), 1u);
  EXPECT_EQ(*ParseId("O", IdFormat::kBase32), 0u);
  EXPECT_EQ(*ParseId("o", IdFormat::kBase32), 0u);
  EXPECT_EQ(*ParseId("1O", IdFormat::kBase32), 32u);
}

TEST(CodecTest, Base32RejectsUAndHyphen) {
  EXPECT_THAT(ErrorOf("1U", IdFormat::kBase32),
              HasSubstr("invalid character 'U' at position 2 in base32 ID \"1U\""));
  EXPECT_THAT(ErrorOf("u", IdFormat::kBase32), HasSubstr("invalid character 'u' at position 1"));
  EXPECT_THAT(ErrorOf("12-34", IdFormat::kBase32),
              HasSubstr("invalid character '-' at position 3 in base32 ID \"12-34\""));
}

TEST(CodecTest, Base62IsCaseSensitive) {
  EXPECT_EQ(*ParseId("a", IdFormat::kBase62), 36u);
  EXPECT_EQ(*ParseId("A", IdFormat::kBase62), 10u);
  EXPECT_THAT(ErrorOf("12x_", IdFormat::kBase62),
              HasSubstr("invalid character '_' at position 4 in base62 ID \"12x_\""));
}

TEST(CodecTest, RejectsEmptyInput) {
  for (IdFormat f : kAllFormats) EXPECT_EQ(ErrorOf("", f), "empty ID");
}

TEST(CodecTest, RejectsWhitespaceAndSigns) {
  for (IdFormat f : kAllFormats) {
    SCOPED_TRACE(IdFormatName(f));
    EXPECT_THAT(ErrorOf(" 12", f), HasSubstr("invalid character ' ' at position 1"));
    EXPECT_THAT(ErrorOf("12 ", f), HasSubstr("invalid character ' ' at position 3"));
    EXPECT_THAT(ErrorOf("1\n", f), HasSubstr("invalid character '\\n' at position 2"));
    EXPECT_THAT(ErrorOf("1\t2", f), HasSubstr("invalid character '\\t' at position 2"));
    EXPECT_THAT(ErrorOf("-1", f), HasSubstr("invalid character '-' at position 1"));
    EXPECT_THAT(ErrorOf("+1", f), HasSubstr("invalid character '+' at position 1"));
  }
}

TEST(CodecTest, EscapesNonPrintableBytes) {
  EXPECT_THAT(ErrorOf(std::string_view("1\0"
                                       "2",
                                       3),
                      IdFormat::kDecimal),
              HasSubstr("invalid character '\\x00' at position 2 in decimal ID \"1\\x00\\x32\""));
  EXPECT_THAT(ErrorOf("1\xff", IdFormat::kDecimal), HasSubstr("invalid character '\\xff'"));
}

TEST(CodecTest, TruncatesVeryLongInputInMessages) {
  const std::string text = std::string(1000, '1') + "x";
  const std::string msg = ErrorOf(text, IdFormat::kDecimal);
  EXPECT_THAT(msg, HasSubstr("invalid character 'x' at position 1001"));
  EXPECT_THAT(msg, HasSubstr("...\" (1001 bytes)"));
  EXPECT_LT(msg.size(), 200u);
}

TEST(CodecTest, RejectsOverflow) {
  EXPECT_EQ(ErrorOf("18446744073709551616", IdFormat::kDecimal),
            "decimal ID \"18446744073709551616\" overflows 64 bits");
  EXPECT_EQ(ErrorOf("99999999999999999999", IdFormat::kDecimal),
            "decimal ID \"99999999999999999999\" overflows 64 bits");
  EXPECT_EQ(ErrorOf("10000000000000000", IdFormat::kHex),
            "hex ID \"10000000000000000\" overflows 64 bits");
  EXPECT_EQ(ErrorOf("0x1ffffffffffffffff", IdFormat::kHex),
            "hex ID \"0x1ffffffffffffffff\" overflows 64 bits");
  EXPECT_EQ(ErrorOf("LygHa16AHYG", IdFormat::kBase62),
            "base62 ID \"LygHa16AHYG\" overflows 64 bits");
  EXPECT_EQ(ErrorOf("100000000000", IdFormat::kBase62),
            "base62 ID \"100000000000\" overflows 64 bits");
  EXPECT_EQ(ErrorOf("G000000000000", IdFormat::kBase32),
            "base32 ID \"G000000000000\" overflows 64 bits");
  EXPECT_EQ(ErrorOf("10000000000000", IdFormat::kBase32),
            "base32 ID \"10000000000000\" overflows 64 bits");
}

TEST(CodecTest, BadCharacterWinsOverOverflow) {
  EXPECT_THAT(ErrorOf("99999999999999999999999x", IdFormat::kDecimal),
              HasSubstr("invalid character 'x' at position 24"));
}

TEST(CodecTest, ParsesFormatNames) {
  for (IdFormat f : kAllFormats) {
    absl::StatusOr<IdFormat> parsed = ParseIdFormat(IdFormatName(f));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, f);
  }
  EXPECT_EQ(*ParseIdFormat("HEX"), IdFormat::kHex);
  EXPECT_EQ(IdFormatName(IdFormat::kBase62), "base62");
}

TEST(CodecTest, RejectsUnknownFormatNameListingValidOnes) {
  absl::StatusOr<IdFormat> parsed = ParseIdFormat("base64");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(),
            "unknown ID format \"base64\"; valid formats are decimal, hex, base62, base32");
  EXPECT_FALSE(ParseIdFormat("").ok());
}

TEST(CodecTest, CrockfordDigitValue) {
  for (size_t i = 0; i < kCrockfordAlphabet.size(); ++i) {
    EXPECT_EQ(CrockfordDigitValue(kCrockfordAlphabet[i]), static_cast<int>(i));
  }
  EXPECT_EQ(CrockfordDigitValue('z'), 31);
  EXPECT_EQ(CrockfordDigitValue('L'), 1);
  EXPECT_EQ(CrockfordDigitValue('o'), 0);
  EXPECT_EQ(CrockfordDigitValue('U'), -1);
  EXPECT_EQ(CrockfordDigitValue('-'), -1);
  EXPECT_EQ(CrockfordDigitValue('\0'), -1);
  EXPECT_EQ(CrockfordDigitValue('\xff'), -1);
}

}  // namespace
}  // namespace idgen
