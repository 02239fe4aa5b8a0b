// Copyright idgen authors.
//
// Layout: how a 64-bit snowflake-family ID is cut into time, worker and
// sequence fields, and the time unit and custom epoch behind the time field.
//
//   | time (time_bits) | worker (worker_bits) | sequence (sequence_bits) |
//   most significant                                     least significant
//
// A Layout is validated once, by Layout::Create, and is immutable afterwards;
// every accessor is cheap and thread-safe. Presets:
//   twitter    41/10/12 at 1 ms,  epoch 2010-11-04 (Twitter's 1288834974657)
//   sonyflake  39/16/8  at 10 ms, epoch 2014-09-01 (Sonyflake's start time;
//              fields in idgen's time|worker|sequence order)
//   js53       41/6/6   at 1 ms,  epoch 2024-01-01, every ID below 2^53 so it
//              survives a JavaScript number
//
// Example:
//   absl::StatusOr<Layout> l = Layout::Create({.time_bits = 42, .worker_bits = 10,
//       .sequence_bits = 12, .unit_ms = 1, .epoch_unix_ms = 1420070400000}, now);
//   DecodedId d = l->Decode(175928847299117063);   // a Discord ID
#ifndef IDGEN_LAYOUT_H_
#define IDGEN_LAYOUT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace idgen {

// The raw parameters of a layout, before validation.
struct LayoutSpec {
  int time_bits = 41;
  int worker_bits = 10;
  int sequence_bits = 12;
  int64_t unit_ms = 1;  // length of one time tick in milliseconds
  int64_t epoch_unix_ms = 1288834974657;
  std::string name = "custom";
};

// The fields of one ID.
struct DecodedId {
  int64_t timestamp_ms = 0;  // Unix milliseconds at the start of the tick
  uint64_t tick = 0;         // time field as stored: ticks since the epoch
  uint64_t worker = 0;
  uint64_t sequence = 0;
};

class Layout {
 public:
  // Validates `spec`. Errors (INVALID_ARGUMENT) say what is wrong: a field
  // with a negative or too large width, time bits of zero, bits adding up to
  // more than 64, a unit of zero or less, an epoch after `now` or before 1970.
  [[nodiscard]] static absl::StatusOr<Layout> Create(const LayoutSpec& spec, absl::Time now);

  // Presets by name ("twitter", "sonyflake", "js53"); NOT_FOUND lists them.
  [[nodiscard]] static absl::StatusOr<Layout> Preset(std::string_view name);
  static Layout Twitter();
  static Layout Sonyflake();
  static Layout Js53();
  static std::vector<std::string> PresetNames();

  const LayoutSpec& spec() const { return spec_; }
  std::string_view name() const { return spec_.name; }
  int time_bits() const { return spec_.time_bits; }
  int worker_bits() const { return spec_.worker_bits; }
  int sequence_bits() const { return spec_.sequence_bits; }
  int total_bits() const { return spec_.time_bits + spec_.worker_bits + spec_.sequence_bits; }
  int64_t unit_ms() const { return spec_.unit_ms; }
  int64_t epoch_unix_ms() const { return spec_.epoch_unix_ms; }

  uint64_t max_tick() const { return max_tick_; }
  uint64_t max_worker() const { return max_worker_; }
  uint64_t max_sequence() const { return max_sequence_; }
  // Largest ID the layout can produce.
  uint64_t max_id() const;
  // The sequence ceiling: IDs one worker can issue per second.
  double ids_per_second_per_worker() const;
  // The first instant that no longer fits in the time field.
  absl::Time time_runs_out() const;

  // INVALID_ARGUMENT unless worker <= max_worker(), naming both.
  [[nodiscard]] absl::Status ValidateWorker(int64_t worker) const;

  // Tick that contains Unix millisecond `unix_ms`; negative before the epoch.
  int64_t TickOf(int64_t unix_ms) const {
    const int64_t since = unix_ms - spec_.epoch_unix_ms;
    return since >= 0 ? since / spec_.unit_ms : -((-since + spec_.unit_ms - 1) / spec_.unit_ms);
  }
  // Unix millisecond at the start of `tick`.
  int64_t UnixMillisOf(uint64_t tick) const {
    return spec_.epoch_unix_ms + static_cast<int64_t>(tick) * spec_.unit_ms;
  }

  // Packs the fields; they must be in range (checked with assertions in
  // debug builds; callers validate first).
  uint64_t Compose(uint64_t tick, uint64_t worker, uint64_t sequence) const {
    return (tick << (spec_.worker_bits + spec_.sequence_bits)) | (worker << spec_.sequence_bits) |
           sequence;
  }
  // Splits any 64-bit value into fields. Bits above total_bits() are ignored
  // by Decode; use DecodeChecked to reject them.
  DecodedId Decode(uint64_t id) const;
  // As Decode, but INVALID_ARGUMENT if `id` has bits set above total_bits().
  [[nodiscard]] absl::StatusOr<DecodedId> DecodeChecked(uint64_t id) const;

  // A one-line description, e.g. "twitter: 41/10/12 bits, 1 ms, epoch ...".
  std::string Describe() const;

 private:
  explicit Layout(const LayoutSpec& spec);

  LayoutSpec spec_;
  uint64_t max_tick_ = 0;
  uint64_t max_worker_ = 0;
  uint64_t max_sequence_ = 0;
};

}  // namespace idgen

#endif  // IDGEN_LAYOUT_H_
