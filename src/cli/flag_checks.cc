// Copyright idgen authors.
#include "src/cli/flag_checks.h"

#include <limits>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace idgen::cli {

CLI::Validator WholeNumberIn(int64_t min, int64_t max) {
  const std::string allowed = max == std::numeric_limits<int64_t>::max()
                                  ? absl::StrCat(">= ", min)
                                  : absl::StrCat("in ", min, "..", max);
  return CLI::Validator(
      [min, max, allowed](std::string& value) -> std::string {
        int64_t n = 0;
        if (!absl::SimpleAtoi(value, &n) || n < min || n > max) {
          return absl::StrCat("must be a whole number ", allowed, ", got \"", value, "\"");
        }
        return "";
      },
      absl::StrCat("INT ", allowed));
}

CLI::Validator WholeNumberAtLeast(int64_t min) {
  return WholeNumberIn(min, std::numeric_limits<int64_t>::max());
}

absl::StatusOr<uint32_t> ParseOctalMode(const std::string& flag, const std::string& text) {
  std::string_view digits = text;
  if (digits.size() == 4 && digits[0] == '0') digits.remove_prefix(1);
  uint32_t mode = 0;
  bool ok = digits.size() == 3;
  for (char c : digits) {
    ok = ok && c >= '0' && c <= '7';
    mode = mode * 8 + static_cast<uint32_t>(c - '0');
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " \"", text, "\": expected three octal digits, such as 660 or 0600"));
  }
  return mode;
}

}  // namespace idgen::cli
