// Copyright idgen authors.
#include "src/cli/layout_flags.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "src/base/status_macros.h"

namespace idgen::cli {

void LayoutFlags::AddTo(CLI::App* cmd) {
  cmd->add_option("--layout", preset_, "Layout preset: twitter, sonyflake or js53")
      ->capture_default_str();
  cmd->add_option("--time-bits", time_bits_, "Bits of the time field (overrides the preset)");
  cmd->add_option("--worker-bits", worker_bits_, "Bits of the worker field");
  cmd->add_option("--sequence-bits", sequence_bits_, "Bits of the sequence field");
  cmd->add_option("--unit-ms", unit_ms_, "Length of one time tick in milliseconds");
  cmd->add_option("--epoch-ms", epoch_ms_, "Custom epoch, Unix milliseconds");
}

absl::StatusOr<Layout> LayoutFlags::Resolve() const {
  IDGEN_ASSIGN_OR_RETURN(Layout base, Layout::Preset(preset_));
  const bool custom = time_bits_ || worker_bits_ || sequence_bits_ || unit_ms_ || epoch_ms_;
  if (!custom) return base;
  LayoutSpec spec = base.spec();
  spec.name = "custom";
  if (time_bits_) spec.time_bits = *time_bits_;
  if (worker_bits_) spec.worker_bits = *worker_bits_;
  if (sequence_bits_) spec.sequence_bits = *sequence_bits_;
  if (unit_ms_) spec.unit_ms = *unit_ms_;
  if (epoch_ms_) spec.epoch_unix_ms = *epoch_ms_;
  return Layout::Create(spec, absl::Now());
}

std::string Iso8601(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

}  // namespace idgen::cli
