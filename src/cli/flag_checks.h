// Copyright idgen authors.
//
// The checks every subcommand's flags share, so one kind of value is refused
// with one message wherever it is taken.
//
//   WholeNumberIn(min, max): a CLI11 check for a whole decimal number in
//     min..max. Refused values get "must be a whole number in MIN..MAX, got
//     \"VALUE\"" (CLI11 prefixes the flag name; a parse error exits 2); the
//     help shows "INT in MIN..MAX". CLI11's own Range prints doubles with
//     many digits, takes "0x10" for 16 and calls "abc" out of range.
//   WholeNumberAtLeast(min): the same with no upper bound: "must be a whole
//     number >= MIN, got ...", help "INT >= MIN".
//   ParseOctalMode(flag, text): permission bits as chmod takes them, three
//     octal digits with an optional leading 0 ("660", "0600"); anything else
//     is INVALID_ARGUMENT "FLAG \"TEXT\": expected three octal digits, such
//     as 660 or 0600".
//
// A whole number is what absl::SimpleAtoi reads as an int64_t: decimal
// digits with an optional sign, surrounding whitespace allowed; no "0x", no
// fraction, no exponent.
//
// Thread-safety: pure functions; the validators hold only their bounds.
#ifndef IDGEN_CLI_FLAG_CHECKS_H_
#define IDGEN_CLI_FLAG_CHECKS_H_

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "absl/status/statusor.h"

namespace idgen::cli {

CLI::Validator WholeNumberIn(int64_t min, int64_t max);

CLI::Validator WholeNumberAtLeast(int64_t min);

absl::StatusOr<uint32_t> ParseOctalMode(const std::string& flag, const std::string& text);

}  // namespace idgen::cli

#endif  // IDGEN_CLI_FLAG_CHECKS_H_
