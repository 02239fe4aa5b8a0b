// Copyright idgen authors.
//
// LayoutFlags: the command-line flags that choose a snowflake layout, shared
// by every subcommand that needs one (`decode`, `layout`, `generate`).
// A preset is the starting point (twitter by default); any bit, unit or
// epoch flag overrides that field, and the result is validated as a whole.
#ifndef IDGEN_CLI_LAYOUT_FLAGS_H_
#define IDGEN_CLI_LAYOUT_FLAGS_H_

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "absl/status/statusor.h"
#include "idgen/layout.h"

namespace idgen::cli {

class LayoutFlags {
 public:
  // Registers --layout, --time-bits, --worker-bits, --sequence-bits,
  // --unit-ms and --epoch-ms on `cmd`.
  void AddTo(CLI::App* cmd);
  // The preset name may also come from a positional argument.
  std::string* preset() { return &preset_; }
  // Builds and validates the layout; INVALID_ARGUMENT / NOT_FOUND with a
  // one-line reason otherwise.
  [[nodiscard]] absl::StatusOr<Layout> Resolve() const;

 private:
  std::string preset_ = "twitter";
  std::optional<int> time_bits_;
  std::optional<int> worker_bits_;
  std::optional<int> sequence_bits_;
  std::optional<int64_t> unit_ms_;
  std::optional<int64_t> epoch_ms_;
};

// Formats a Unix millisecond as ISO 8601 UTC with milliseconds.
std::string Iso8601(int64_t unix_ms);

}  // namespace idgen::cli

#endif  // IDGEN_CLI_LAYOUT_FLAGS_H_
