// Copyright idgen authors.
//
// Clock: the one seam through which idgen reads time.
//
// Two kinds of time are kept apart, as in Envoy's TimeSource and RocksDB's
// SystemClock:
//   * WallNow()      - Unix time. Stamps IDs. May jump backwards or forwards
//                      (NTP steps, an operator, a VM resume).
//   * MonotonicNow() - time since an arbitrary origin that never decreases.
//                      Used for lease deadlines, timeouts and latency.
// SleepFor() waits on the monotonic clock; a FakeClock advances its own time
// instead of blocking, which keeps unit tests deterministic and instant.
//
// Thread-safety: every method of every Clock in this file may be called from
// any thread concurrently.
#ifndef IDGEN_CLOCK_H_
#define IDGEN_CLOCK_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "idgen/internal/mutex.h"

namespace idgen {

class Clock {
 public:
  virtual ~Clock() = default;

  // Unix wall time. Can go backwards.
  virtual absl::Time WallNow() = 0;

  // Monotonic time since an unspecified origin. Never decreases.
  virtual absl::Duration MonotonicNow() = 0;

  // Blocks the caller for at least `d` of monotonic time (no-op if d <= 0).
  virtual void SleepFor(absl::Duration d) = 0;

  // Wall time in whole Unix milliseconds (floor). Virtual so the system
  // clock can skip absl::Time arithmetic on the ID hot path.
  virtual int64_t WallUnixMillis() { return absl::ToUnixMillis(WallNow()); }
};

// The process-wide real clock (CLOCK_REALTIME / CLOCK_MONOTONIC). SleepFor is
// precise to a few microseconds: it sleeps for the bulk and spins with yield
// for the last stretch, because ID generators wait for the next millisecond.
class SystemClock final : public Clock {
 public:
  // A shared instance; lives for the whole process.
  static SystemClock* Get();

  absl::Time WallNow() override;
  int64_t WallUnixMillis() override;
  absl::Duration MonotonicNow() override;
  void SleepFor(absl::Duration d) override;
};

// A clock that tests drive by hand. Wall time can be set anywhere, including
// backwards; monotonic time only moves forwards. SleepFor(d) does not block:
// it advances both wall and monotonic time by d and records the total slept,
// so code that waits out a clock regression is tested without real sleeping.
//
// Example:
//   FakeClock clock(absl::FromUnixMillis(1'700'000'000'000));
//   clock.Advance(absl::Milliseconds(5));
//   clock.SetWall(clock.WallNow() - absl::Seconds(1));  // step back 1 s
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time wall_start);

  absl::Time WallNow() override;
  absl::Duration MonotonicNow() override;
  void SleepFor(absl::Duration d) override;

  // Moves wall and monotonic time forwards by d (d >= 0).
  void Advance(absl::Duration d);
  // Sets wall time only (may go backwards); monotonic time is unchanged.
  void SetWall(absl::Time t);
  // Moves wall time only, by a signed amount.
  void StepWall(absl::Duration d);
  // Total time passed to SleepFor so far.
  absl::Duration TotalSlept();
  // Number of SleepFor calls with d > 0.
  int64_t SleepCalls();

 private:
  idgen::Mutex mu_;
  absl::Time wall_ ABSL_GUARDED_BY(mu_);
  absl::Duration mono_ ABSL_GUARDED_BY(mu_);
  absl::Duration slept_ ABSL_GUARDED_BY(mu_);
  int64_t sleep_calls_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace idgen

#endif  // IDGEN_CLOCK_H_
