// Copyright idgen authors.
//
// SnowflakeGenerator: 64-bit, time-ordered IDs for one worker id under one
// Layout. The hot path is lock-free: the generator's whole state is one
// atomic word, (tick << sequence_bits) | sequence of the last ID issued, and
// every call claims the next ID (or the next run of IDs, for NextBatch) with
// a single compare-and-swap.
//
// Guarantees, for one generator:
//   * IDs strictly increase, across all threads, in CAS order.
//   * No ID is issued twice. Sequence exhaustion waits for the next tick; it
//     never wraps and never fails.
//   * No ID carries a tick above the reservation (SetReservedUntil); calls
//     that would need one fail with UNAVAILABLE instead (promise 3).
//   * No ID carries a tick at or below `issue_after_unix_ms` given at
//     creation: a new holder of a worker id starts above the old reservation.
//
// Clock policy, when the wall clock is behind the last issued tick by `lag`:
//   lag <= max_wait:                 sleep until the clock catches up;
//   max_wait < lag <= max_borrow:    keep issuing on logical time: the last
//                                    tick, carrying into the next tick when
//                                    the sequence runs out ("borrowing");
//   lag > max_borrow:                refuse with UNAVAILABLE, saying by how
//                                    much the clock is behind.
// Every regression, wait and borrowed millisecond is counted (Stats).
//
// Thread-safety: every method may be called concurrently. The Clock must
// outlive the generator.
//
// Example:
//   auto gen = SnowflakeGenerator::Create(Layout::Twitter(), /*worker=*/7,
//                                         SystemClock::Get(), {});
//   absl::StatusOr<uint64_t> id = (*gen)->Next();
#ifndef IDGEN_SNOWFLAKE_GENERATOR_H_
#define IDGEN_SNOWFLAKE_GENERATOR_H_

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "idgen/clock.h"
#include "idgen/layout.h"

namespace idgen {

struct ClockPolicy {
  // Backward steps up to this long are waited out.
  absl::Duration max_wait = absl::Milliseconds(5);
  // Backward steps up to this long are bridged on logical time. Must be
  // >= max_wait.
  absl::Duration max_borrow = absl::Seconds(2);
};

struct SnowflakeOptions {
  ClockPolicy policy;
  // IDs are issued only with a timestamp tick strictly above the tick that
  // contains this Unix millisecond. Set it to the stored reservation of the
  // worker id when taking it over.
  int64_t issue_after_unix_ms = std::numeric_limits<int64_t>::min();
  // Initial reservation (see SetReservedUntil); unbounded by default.
  int64_t reserved_until_unix_ms = std::numeric_limits<int64_t>::max();
};

// What the clock looked like at the last call.
enum class ClockState {
  kNormal,    // wall clock at or ahead of the last issued tick
  kWaiting,   // behind by at most max_wait: waiting it out
  kLogical,   // behind by at most max_borrow: issuing on logical time
  kRefusing,  // behind by more than max_borrow: refusing
};
std::string_view ClockStateName(ClockState s);

class SnowflakeGenerator {
 public:
  // Rare-event counters; cumulative since creation.
  struct Stats {
    uint64_t regressions = 0;          // backward wall-clock steps seen
    int64_t max_regression_ms = 0;     // largest backward step seen
    uint64_t waits = 0;                // regressions waited out
    int64_t waited_ms = 0;             // total time spent waiting them out
    uint64_t logical_ids = 0;          // IDs issued while the clock was behind
    int64_t borrowed_ms = 0;           // ticks borrowed ahead of the wall clock, in ms
    uint64_t exhaustion_waits = 0;     // waits for the next tick (sequence full)
    uint64_t refused_clock = 0;        // calls refused: clock behind beyond max_borrow
    uint64_t refused_reservation = 0;  // calls refused: would cross the reservation
  };

  // INVALID_ARGUMENT if the worker does not fit the layout or the policy is
  // inconsistent (negative bounds, max_borrow < max_wait).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SnowflakeGenerator>> Create(
      const Layout& layout, int64_t worker, Clock* clock, const SnowflakeOptions& options);

  SnowflakeGenerator(const SnowflakeGenerator&) = delete;
  SnowflakeGenerator& operator=(const SnowflakeGenerator&) = delete;

  // One ID. Errors: UNAVAILABLE (clock behind beyond the borrow bound, clock
  // before the layout epoch, reservation reached), FAILED_PRECONDITION (the
  // layout's time bits have run out).
  [[nodiscard]] absl::StatusOr<uint64_t> Next();

  // Fills `out` with strictly increasing IDs, claiming up to a whole tick's
  // remaining sequence numbers in one CAS. On error some IDs may have been
  // consumed (never to be reissued) and `out` holds no usable IDs.
  [[nodiscard]] absl::Status NextBatch(absl::Span<uint64_t> out);

  // Sets the reservation: no ID will carry a tick above the one containing
  // `unix_ms`. May be lowered as well as raised.
  void SetReservedUntil(int64_t unix_ms);
  int64_t reserved_until_unix_ms() const;

  // Unix ms of the tick of the last issued ID (or of the starting floor).
  int64_t last_issued_unix_ms() const;
  // How far the wall clock was behind the last issued tick at the last call
  // that looked (0 when not behind), in ms.
  int64_t clock_lag_ms() const { return lag_ms_.load(std::memory_order_relaxed); }
  ClockState clock_state() const;
  // Reads the clock now, without issuing, and updates clock_state() and
  // clock_lag_ms() from it (they otherwise change only when IDs are asked
  // for). For health checks and monitoring.
  ClockState ObserveClock();

  const Layout& layout() const { return layout_; }
  uint64_t worker() const { return worker_; }
  const ClockPolicy& policy() const { return options_.policy; }
  Stats stats() const;

 private:
  SnowflakeGenerator(const Layout& layout, uint64_t worker, Clock* clock,
                     const SnowflakeOptions& options);

  // Claims 1..want consecutive states within one tick. On success *first is
  // the first claimed state and *got the number claimed.
  [[nodiscard]] absl::Status Claim(uint64_t want, uint64_t* first, uint64_t* got);
  int64_t WallTick();
  void WaitUntilTick(uint64_t tick);
  uint64_t IdOf(uint64_t state) const {
    return ((state >> seq_bits_) << tick_shift_) | worker_part_ | (state & seq_mask_);
  }
  void NoteLag(int64_t lag_ms, ClockState state);

  const Layout layout_;
  const uint64_t worker_;
  Clock* const clock_;
  const SnowflakeOptions options_;
  const int seq_bits_;
  const int tick_shift_;
  const uint64_t seq_mask_;
  const uint64_t worker_part_;
  const int64_t max_wait_ms_;
  const int64_t max_borrow_ms_;

  alignas(64) std::atomic<uint64_t> state_;
  alignas(64) std::atomic<int64_t> reserved_tick_;
  std::atomic<int64_t> last_wall_tick_{0};
  std::atomic<int64_t> lag_ms_{0};
  std::atomic<int> clock_state_{0};
  struct Counters {
    std::atomic<uint64_t> regressions{0};
    std::atomic<int64_t> max_regression_ms{0};
    std::atomic<uint64_t> waits{0};
    std::atomic<int64_t> waited_ms{0};
    std::atomic<uint64_t> logical_ids{0};
    std::atomic<int64_t> borrowed_ms{0};
    std::atomic<uint64_t> exhaustion_waits{0};
    std::atomic<uint64_t> refused_clock{0};
    std::atomic<uint64_t> refused_reservation{0};
  };
  alignas(64) Counters counters_;
};

}  // namespace idgen

#endif  // IDGEN_SNOWFLAKE_GENERATOR_H_
