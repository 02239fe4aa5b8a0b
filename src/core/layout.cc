// Copyright idgen authors.
#include "idgen/layout.h"

#include <cassert>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace idgen {
namespace {

constexpr int kMaxTimeBits = 63;
constexpr int kMaxFieldBits = 32;  // worker and sequence; larger makes no sense
constexpr int64_t kMaxUnitMs = 3'600'000;

LayoutSpec TwitterSpec() {
  return {.time_bits = 41,
          .worker_bits = 10,
          .sequence_bits = 12,
          .unit_ms = 1,
          .epoch_unix_ms = 1288834974657,
          .name = "twitter"};
}
LayoutSpec SonyflakeSpec() {
  return {.time_bits = 39,
          .worker_bits = 16,
          .sequence_bits = 8,
          .unit_ms = 10,
          .epoch_unix_ms = 1409529600000,  // 2014-09-01T00:00:00Z
          .name = "sonyflake"};
}
LayoutSpec Js53Spec() {
  return {.time_bits = 41,
          .worker_bits = 6,
          .sequence_bits = 6,
          .unit_ms = 1,
          .epoch_unix_ms = 1704067200000,  // 2024-01-01T00:00:00Z
          .name = "js53"};
}

uint64_t Mask(int bits) { return bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1; }

}  // namespace

Layout::Layout(const LayoutSpec& spec)
    : spec_(spec),
      max_tick_(Mask(spec.time_bits)),
      max_worker_(Mask(spec.worker_bits)),
      max_sequence_(Mask(spec.sequence_bits)) {}

absl::StatusOr<Layout> Layout::Create(const LayoutSpec& spec, absl::Time now) {
  if (spec.time_bits < 1 || spec.time_bits > kMaxTimeBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("time bits must be between 1 and ", kMaxTimeBits, ", got ", spec.time_bits));
  }
  if (spec.worker_bits < 0 || spec.worker_bits > kMaxFieldBits) {
    return absl::InvalidArgumentError(absl::StrCat("worker bits must be between 0 and ",
                                                   kMaxFieldBits, ", got ", spec.worker_bits));
  }
  if (spec.sequence_bits < 0 || spec.sequence_bits > kMaxFieldBits) {
    return absl::InvalidArgumentError(absl::StrCat("sequence bits must be between 0 and ",
                                                   kMaxFieldBits, ", got ", spec.sequence_bits));
  }
  const int total = spec.time_bits + spec.worker_bits + spec.sequence_bits;
  if (total > 64) {
    return absl::InvalidArgumentError(
        absl::StrFormat("bits do not add up: time %d + worker %d + sequence %d = %d, more than 64",
                        spec.time_bits, spec.worker_bits, spec.sequence_bits, total));
  }
  if (spec.unit_ms < 1 || spec.unit_ms > kMaxUnitMs) {
    return absl::InvalidArgumentError(
        absl::StrCat("time unit must be between 1 and ", kMaxUnitMs, " ms, got ", spec.unit_ms));
  }
  if (spec.epoch_unix_ms < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("epoch must not be before 1970-01-01, got ", spec.epoch_unix_ms, " ms"));
  }
  const int64_t now_ms = absl::ToUnixMillis(now);
  if (spec.epoch_unix_ms > now_ms) {
    return absl::InvalidArgumentError(
        absl::StrCat("epoch is in the future: ", spec.epoch_unix_ms, " ms (",
                     absl::FormatTime(absl::RFC3339_full, absl::FromUnixMillis(spec.epoch_unix_ms),
                                      absl::UTCTimeZone()),
                     ") is after now (", now_ms, " ms)"));
  }
  return Layout(spec);
}

Layout Layout::Twitter() { return Layout(TwitterSpec()); }
Layout Layout::Sonyflake() { return Layout(SonyflakeSpec()); }
Layout Layout::Js53() { return Layout(Js53Spec()); }

std::vector<std::string> Layout::PresetNames() { return {"twitter", "sonyflake", "js53"}; }

absl::StatusOr<Layout> Layout::Preset(std::string_view name) {
  if (name == "twitter") return Twitter();
  if (name == "sonyflake") return Sonyflake();
  if (name == "js53") return Js53();
  return absl::NotFoundError(
      absl::StrCat("unknown layout preset \"", std::string(name),
                   "\"; known presets: ", absl::StrJoin(PresetNames(), ", ")));
}

uint64_t Layout::max_id() const { return Compose(max_tick_, max_worker_, max_sequence_); }

double Layout::ids_per_second_per_worker() const {
  return static_cast<double>(max_sequence_ + 1) * 1000.0 / static_cast<double>(spec_.unit_ms);
}

absl::Time Layout::time_runs_out() const {
  const __int128 end_ms = static_cast<__int128>(spec_.epoch_unix_ms) +
                          (static_cast<__int128>(max_tick_) + 1) * spec_.unit_ms;
  // absl::Time covers far more than int64 milliseconds; beyond that it is
  // "never" for any practical purpose.
  if (end_ms > std::numeric_limits<int64_t>::max()) return absl::InfiniteFuture();
  return absl::FromUnixMillis(static_cast<int64_t>(end_ms));
}

absl::Status Layout::ValidateWorker(int64_t worker) const {
  if (worker < 0 || static_cast<uint64_t>(worker) > max_worker_) {
    return absl::InvalidArgumentError(absl::StrCat("worker id ", worker, " is out of range 0..",
                                                   max_worker_, " for layout ", spec_.name, " (",
                                                   spec_.worker_bits, " worker bits)"));
  }
  return absl::OkStatus();
}

DecodedId Layout::Decode(uint64_t id) const {
  DecodedId d;
  d.sequence = id & max_sequence_;
  d.worker = (id >> spec_.sequence_bits) & max_worker_;
  d.tick = (id >> (spec_.sequence_bits + spec_.worker_bits)) & max_tick_;
  d.timestamp_ms = UnixMillisOf(d.tick);
  return d;
}

absl::StatusOr<DecodedId> Layout::DecodeChecked(uint64_t id) const {
  if (total_bits() < 64 && (id >> total_bits()) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("ID ", id, " has bits set above bit ",
                                                   total_bits() - 1, "; it does not fit layout ",
                                                   spec_.name, " (", total_bits(), " bits)"));
  }
  return Decode(id);
}

std::string Layout::Describe() const {
  return absl::StrFormat(
      "%s: %d/%d/%d bits (time/worker/sequence), unit %d ms, epoch %d (%s)", spec_.name,
      spec_.time_bits, spec_.worker_bits, spec_.sequence_bits, spec_.unit_ms, spec_.epoch_unix_ms,
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(spec_.epoch_unix_ms),
                       absl::UTCTimeZone()));
}

}  // namespace idgen
