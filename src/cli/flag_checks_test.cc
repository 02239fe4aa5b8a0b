// Copyright idgen authors.
#include "src/cli/flag_checks.h"

#include <string>

#include "gtest/gtest.h"

namespace idgen::cli {
namespace {

// What the validator says about `value`: empty when accepted.
std::string Check(const CLI::Validator& v, std::string value) { return v(value); }

TEST(WholeNumberInTest, AcceptsTheBoundsAndBetween) {
  const CLI::Validator v = WholeNumberIn(1, 64);
  EXPECT_EQ(Check(v, "1"), "");
  EXPECT_EQ(Check(v, "32"), "");
  EXPECT_EQ(Check(v, "64"), "");
}

TEST(WholeNumberInTest, RefusesOutsideWithAPlainMessage) {
  const CLI::Validator v = WholeNumberIn(1, 64);
  EXPECT_EQ(Check(v, "0"), "must be a whole number in 1..64, got \"0\"");
  EXPECT_EQ(Check(v, "65"), "must be a whole number in 1..64, got \"65\"");
  EXPECT_EQ(Check(v, "-1"), "must be a whole number in 1..64, got \"-1\"");
}

TEST(WholeNumberInTest, RefusesWhatIsNotAWholeDecimalNumber) {
  const CLI::Validator v = WholeNumberIn(0, 600'000);
  for (const char* bad : {"abc", "", "1.5", "16.0", "1e3", "0x10", "1_6", "99999999999999999999"}) {
    EXPECT_EQ(Check(v, bad),
              std::string("must be a whole number in 0..600000, got \"") + bad + "\"")
        << bad;
  }
}

TEST(WholeNumberInTest, HelpSaysTheRange) {
  EXPECT_EQ(WholeNumberIn(100, 3'600'000).get_description(), "INT in 100..3600000");
}

TEST(WholeNumberAtLeastTest, HasNoUpperBound) {
  const CLI::Validator v = WholeNumberAtLeast(2);
  EXPECT_EQ(Check(v, "2"), "");
  EXPECT_EQ(Check(v, "9223372036854775807"), "");
  EXPECT_EQ(Check(v, "1"), "must be a whole number >= 2, got \"1\"");
  EXPECT_EQ(Check(v, "ten"), "must be a whole number >= 2, got \"ten\"");
  EXPECT_EQ(v.get_description(), "INT >= 2");
}

TEST(ParseOctalModeTest, TakesThreeOctalDigitsWithAnOptionalLeadingZero) {
  EXPECT_EQ(ParseOctalMode("--mode", "660").value(), 0660u);
  EXPECT_EQ(ParseOctalMode("--mode", "0600").value(), 0600u);
  EXPECT_EQ(ParseOctalMode("--mode", "777").value(), 0777u);
  EXPECT_EQ(ParseOctalMode("--mode", "000").value(), 0u);
}

TEST(ParseOctalModeTest, RefusesAnythingElseNamingTheFlag) {
  for (const char* bad : {"", "66", "6600", "1777", "9a0", "680", "-66", "0x1ff", " 660"}) {
    absl::StatusOr<uint32_t> mode = ParseOctalMode("--socket-mode", bad);
    ASSERT_FALSE(mode.ok()) << bad;
    EXPECT_EQ(mode.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(mode.status().message(), std::string("--socket-mode \"") + bad +
                                           "\": expected three octal digits, such as 660 or 0600");
  }
}

}  // namespace
}  // namespace idgen::cli
