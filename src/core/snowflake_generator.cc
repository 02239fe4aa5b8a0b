// Copyright idgen authors.
#include "idgen/snowflake_generator.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/base/dcheck.h"
#include "src/base/status_macros.h"

namespace idgen {
namespace {

void AtomicMax(std::atomic<int64_t>& a, int64_t v) {
  int64_t cur = a.load(std::memory_order_relaxed);
  while (v > cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

int64_t SafeTickOf(const Layout& layout, int64_t unix_ms) {
  // Guard the subtraction in TickOf against the int64 extremes used as
  // "unbounded" markers.
  if (unix_ms == std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  if (unix_ms <= std::numeric_limits<int64_t>::min() / 2) return -1;
  return layout.TickOf(unix_ms);
}

}  // namespace

std::string_view ClockStateName(ClockState s) {
  switch (s) {
    case ClockState::kNormal:
      return "normal";
    case ClockState::kWaiting:
      return "waiting";
    case ClockState::kLogical:
      return "logical";
    case ClockState::kRefusing:
      return "refusing";
  }
  return "unknown";
}

absl::StatusOr<std::unique_ptr<SnowflakeGenerator>> SnowflakeGenerator::Create(
    const Layout& layout, int64_t worker, Clock* clock, const SnowflakeOptions& options) {
  IDGEN_RETURN_IF_ERROR(layout.ValidateWorker(worker));
  if (clock == nullptr) return absl::InvalidArgumentError("clock must not be null");
  const ClockPolicy& p = options.policy;
  if (p.max_wait < absl::ZeroDuration() || p.max_borrow < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("clock policy bounds must not be negative");
  }
  if (p.max_borrow < p.max_wait) {
    return absl::InvalidArgumentError(
        absl::StrCat("clock policy: max_borrow (", absl::FormatDuration(p.max_borrow),
                     ") must be at least max_wait (", absl::FormatDuration(p.max_wait), ")"));
  }
  return std::unique_ptr<SnowflakeGenerator>(
      new SnowflakeGenerator(layout, static_cast<uint64_t>(worker), clock, options));
}

SnowflakeGenerator::SnowflakeGenerator(const Layout& layout, uint64_t worker, Clock* clock,
                                       const SnowflakeOptions& options)
    : layout_(layout),
      worker_(worker),
      clock_(clock),
      options_(options),
      seq_bits_(layout.sequence_bits()),
      tick_shift_(layout.sequence_bits() + layout.worker_bits()),
      seq_mask_(layout.max_sequence()),
      worker_part_(worker << layout.sequence_bits()),
      max_wait_ms_(absl::ToInt64Milliseconds(options.policy.max_wait)),
      max_borrow_ms_(absl::ToInt64Milliseconds(options.policy.max_borrow)),
      state_(0),
      reserved_tick_(SafeTickOf(layout, options.reserved_until_unix_ms)) {
  // Start as if the whole floor tick had been issued, so the first ID lands
  // on a later tick.
  const int64_t floor_tick = std::max<int64_t>(0, SafeTickOf(layout, options.issue_after_unix_ms));
  state_.store((static_cast<uint64_t>(floor_tick) << seq_bits_) | seq_mask_);
  last_wall_tick_.store(floor_tick);
}

int64_t SnowflakeGenerator::WallTick() {
  const int64_t now_ms = clock_->WallUnixMillis();
  if (layout_.unit_ms() == 1) return now_ms - layout_.epoch_unix_ms();
  return layout_.TickOf(now_ms);
}

void SnowflakeGenerator::WaitUntilTick(uint64_t tick) {
  const absl::Time target = absl::FromUnixMillis(layout_.UnixMillisOf(tick));
  clock_->SleepFor(target - clock_->WallNow());
}

void SnowflakeGenerator::NoteLag(int64_t lag_ms, ClockState state) {
  // Only write when something changed: these words are shared by every
  // caller and an unconditional store would bounce the cache line.
  if (lag_ms_.load(std::memory_order_relaxed) != lag_ms) {
    lag_ms_.store(lag_ms, std::memory_order_relaxed);
  }
  if (clock_state_.load(std::memory_order_relaxed) != static_cast<int>(state)) {
    clock_state_.store(static_cast<int>(state), std::memory_order_relaxed);
  }
}

absl::Status SnowflakeGenerator::Claim(uint64_t want, uint64_t* first, uint64_t* got) {
  uint64_t cur = state_.load(std::memory_order_acquire);
  bool rechecked = false;
  for (;;) {
    const int64_t now = WallTick();
    if (now < 0) {
      counters_.refused_clock.fetch_add(1, std::memory_order_relaxed);
      NoteLag(0, ClockState::kRefusing);
      return absl::UnavailableError(absl::StrCat(
          "wall clock (", clock_->WallUnixMillis(), " ms) is before the layout epoch (",
          layout_.epoch_unix_ms(), " ms); fix the system clock"));
    }
    if (static_cast<uint64_t>(now) > layout_.max_tick()) {
      return absl::FailedPreconditionError(
          absl::StrCat("layout ", layout_.spec().name, " ran out of time bits at ",
                       absl::FormatTime(layout_.time_runs_out(), absl::UTCTimeZone()),
                       "; configure a later epoch or more time bits"));
    }
    const uint64_t unow = static_cast<uint64_t>(now);
    const uint64_t cur_tick = cur >> seq_bits_;
    const uint64_t cur_seq = cur & seq_mask_;
    uint64_t new_first = 0;
    uint64_t count = 0;
    bool logical = false;
    if (unow > cur_tick) {
      new_first = unow << seq_bits_;
      count = std::min<uint64_t>(want, seq_mask_ + 1);
      NoteLag(0, ClockState::kNormal);
    } else if (unow == cur_tick) {
      const uint64_t avail = seq_mask_ - cur_seq;
      if (avail == 0) {
        counters_.exhaustion_waits.fetch_add(1, std::memory_order_relaxed);
        WaitUntilTick(cur_tick + 1);
        cur = state_.load(std::memory_order_acquire);
        continue;
      }
      new_first = cur + 1;
      count = std::min(want, avail);
      NoteLag(0, ClockState::kNormal);
    } else {
      if (!rechecked) {
        // This thread may simply have been descheduled between reading the
        // clock and the state; look once more before calling it a regression.
        rechecked = true;
        cur = state_.load(std::memory_order_acquire);
        continue;
      }
      const int64_t lag_ms = static_cast<int64_t>(cur_tick - unow) * layout_.unit_ms();
      const int64_t prev_wall = last_wall_tick_.load(std::memory_order_relaxed);
      if (now < prev_wall) {
        counters_.regressions.fetch_add(1, std::memory_order_relaxed);
        AtomicMax(counters_.max_regression_ms, (prev_wall - now) * layout_.unit_ms());
        last_wall_tick_.store(now, std::memory_order_relaxed);
      }
      if (lag_ms <= max_wait_ms_) {
        NoteLag(lag_ms, ClockState::kWaiting);
        counters_.waits.fetch_add(1, std::memory_order_relaxed);
        const absl::Duration before = clock_->MonotonicNow();
        WaitUntilTick(cur_tick);
        counters_.waited_ms.fetch_add(absl::ToInt64Milliseconds(clock_->MonotonicNow() - before),
                                      std::memory_order_relaxed);
        cur = state_.load(std::memory_order_acquire);
        continue;
      }
      // Logical time: continue from the last state; +1 carries into the next
      // tick when the sequence is full.
      const uint64_t next = cur + 1;
      const uint64_t next_tick = next >> seq_bits_;
      const int64_t next_lag_ms = static_cast<int64_t>(next_tick - unow) * layout_.unit_ms();
      if (next_lag_ms > max_borrow_ms_) {
        counters_.refused_clock.fetch_add(1, std::memory_order_relaxed);
        NoteLag(lag_ms, ClockState::kRefusing);
        return absl::UnavailableError(
            absl::StrCat("wall clock is ", next_lag_ms,
                         " ms behind the last issued ID, beyond the borrow bound of ",
                         max_borrow_ms_, " ms; refusing until the clock catches up (check NTP)"));
      }
      NoteLag(lag_ms, ClockState::kLogical);
      logical = true;
      new_first = next;
      count = std::min(want, seq_mask_ - (next & seq_mask_) + 1);
    }
    const uint64_t new_last = new_first + count - 1;
    const uint64_t last_tick = new_last >> seq_bits_;
    if (last_tick > layout_.max_tick()) {
      return absl::FailedPreconditionError(
          absl::StrCat("layout ", layout_.spec().name, " ran out of time bits"));
    }
    const int64_t reserved = reserved_tick_.load(std::memory_order_acquire);
    if (static_cast<int64_t>(last_tick) > reserved) {
      counters_.refused_reservation.fetch_add(1, std::memory_order_relaxed);
      return absl::UnavailableError(
          absl::StrCat("time reservation reached: next ID would be at ",
                       layout_.UnixMillisOf(last_tick), " ms, reserved up to ",
                       layout_.UnixMillisOf(static_cast<uint64_t>(std::max<int64_t>(0, reserved))),
                       " ms; the reservation store may be unreachable, retry shortly"));
    }
    if (state_.compare_exchange_weak(cur, new_last, std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
      // What the fuzzer and the chaos runner check from outside: IDs strictly
      // increase, and a claim stays within one tick's sequence space (so
      // NextBatch may number it consecutively).
      IDGEN_DCHECK(new_first > cur);
      IDGEN_DCHECK(count >= 1 && count <= want);
      IDGEN_DCHECK((new_first >> seq_bits_) == last_tick);
      IDGEN_DCHECK(static_cast<int64_t>(last_tick) <= reserved);
      if (logical) {
        counters_.logical_ids.fetch_add(count, std::memory_order_relaxed);
        if ((new_first >> seq_bits_) > cur_tick) {
          counters_.borrowed_ms.fetch_add(layout_.unit_ms(), std::memory_order_relaxed);
        }
      } else if (now > last_wall_tick_.load(std::memory_order_relaxed)) {
        last_wall_tick_.store(now, std::memory_order_relaxed);
      }
      *first = new_first;
      *got = count;
      return absl::OkStatus();
    }
    // Lost the race: `cur` now holds the winner's state; go again.
  }
}

absl::StatusOr<uint64_t> SnowflakeGenerator::Next() {
  uint64_t first = 0;
  uint64_t got = 0;
  IDGEN_RETURN_IF_ERROR(Claim(1, &first, &got));
  return IdOf(first);
}

absl::Status SnowflakeGenerator::NextBatch(absl::Span<uint64_t> out) {
  size_t filled = 0;
  while (filled < out.size()) {
    uint64_t first = 0;
    uint64_t got = 0;
    IDGEN_RETURN_IF_ERROR(Claim(out.size() - filled, &first, &got));
    // States within one tick map to consecutive IDs.
    const uint64_t first_id = IdOf(first);
    for (uint64_t i = 0; i < got; ++i) out[filled + i] = first_id + i;
    filled += got;
  }
  return absl::OkStatus();
}

void SnowflakeGenerator::SetReservedUntil(int64_t unix_ms) {
  reserved_tick_.store(SafeTickOf(layout_, unix_ms), std::memory_order_release);
}

int64_t SnowflakeGenerator::reserved_until_unix_ms() const {
  const int64_t t = reserved_tick_.load(std::memory_order_acquire);
  if (t == std::numeric_limits<int64_t>::max()) return t;
  if (t < 0) return layout_.epoch_unix_ms() - 1;
  // The last millisecond covered by the reserved tick.
  return layout_.UnixMillisOf(static_cast<uint64_t>(t)) + layout_.unit_ms() - 1;
}

int64_t SnowflakeGenerator::last_issued_unix_ms() const {
  return layout_.UnixMillisOf(state_.load(std::memory_order_acquire) >> seq_bits_);
}

ClockState SnowflakeGenerator::clock_state() const {
  return static_cast<ClockState>(clock_state_.load(std::memory_order_relaxed));
}

ClockState SnowflakeGenerator::ObserveClock() {
  const int64_t now = WallTick();
  const uint64_t cur_tick = state_.load(std::memory_order_acquire) >> seq_bits_;
  if (now >= 0 && static_cast<uint64_t>(now) >= cur_tick) {
    NoteLag(0, ClockState::kNormal);
    return ClockState::kNormal;
  }
  // Before the epoch counts as infinitely far behind.
  const int64_t lag_ms =
      now < 0 ? std::numeric_limits<int64_t>::max()
              : static_cast<int64_t>(cur_tick - static_cast<uint64_t>(now)) * layout_.unit_ms();
  const ClockState state = lag_ms <= max_wait_ms_     ? ClockState::kWaiting
                           : lag_ms <= max_borrow_ms_ ? ClockState::kLogical
                                                      : ClockState::kRefusing;
  NoteLag(lag_ms, state);
  return state;
}

SnowflakeGenerator::Stats SnowflakeGenerator::stats() const {
  Stats s;
  s.regressions = counters_.regressions.load(std::memory_order_relaxed);
  s.max_regression_ms = counters_.max_regression_ms.load(std::memory_order_relaxed);
  s.waits = counters_.waits.load(std::memory_order_relaxed);
  s.waited_ms = counters_.waited_ms.load(std::memory_order_relaxed);
  s.logical_ids = counters_.logical_ids.load(std::memory_order_relaxed);
  s.borrowed_ms = counters_.borrowed_ms.load(std::memory_order_relaxed);
  s.exhaustion_waits = counters_.exhaustion_waits.load(std::memory_order_relaxed);
  s.refused_clock = counters_.refused_clock.load(std::memory_order_relaxed);
  s.refused_reservation = counters_.refused_reservation.load(std::memory_order_relaxed);
  return s;
}

}  // namespace idgen
