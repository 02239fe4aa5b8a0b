// Copyright idgen authors.
//
// CachedClock: a Clock whose WallUnixMillis() is a single atomic load of a
// value a background "ticker" thread refreshes from another clock every
// `period` (Baidu uid-generator's CachedUidGenerator and many log libraries
// do the same). It exists for SnowflakeGenerator::Next(), which reads
// WallUnixMillis() once per call: on a VM where clock_gettime costs ~26 ns
// that read is most of the cost of an ID; the atomic load, through the
// Clock interface, costs ~2 ns.
//
// The trade-off, stated plainly:
//   * Timestamps may lag. WallUnixMillis() returns the base clock's reading
//     from up to `period` ago, plus the ticker's wake-up latency (Linux timer
//     slack, 50 us by default, and scheduling delay: unbounded in principle
//     on an overloaded machine). IDs therefore carry a millisecond that may be
//     slightly earlier than the moment they were issued. Waits do not add lag:
//     SleepFor refreshes the cache when it returns (see below).
//   * Clock regressions are seen late by the same amount. A backward step of
//     the base clock does reach WallUnixMillis() (the ticker stores whatever
//     the base says, backwards included), at the next refresh; the generator's
//     clock policy then applies as usual.
//   * Uniqueness and order are NOT affected: SnowflakeGenerator guarantees
//     them with its atomic state, whatever the clock says. A stale clock only
//     makes the generator stamp an earlier tick (or, if the cached value is
//     behind the last issued tick, go through its regression policy).
//   * Cost: one thread waking every `period`, busy or idle. Measured on the
//     2-vCPU VM of docs/BENCHMARKS.md (BM_CachedClockTicker): with the default
//     100 us, 4,400-5,300 wake-ups/s (a cycle is 190-230 us: the period plus
//     Linux's 50 us timer slack and wake-up latency, so the lag is typically
//     up to ~0.25 ms) and 12-13% of one core, because a timer wake-up costs
//     ~20 us of CPU on that VM whatever the sleeping primitive. With a 1 ms
//     period: ~850 wake-ups/s, ~3% of a core, lag up to ~1.1 ms. Use one
//     CachedClock per process, shared by every generator; it pays off only
//     where IDs are taken one by one at high rates (NextBatch reads the
//     clock once per batch anyway).
//
// WallNow(), MonotonicNow() and SleepFor() go to the base clock, precise: they
// are off the hot path (waits, leases, timeouts). So WallNow() may be ahead of
// WallUnixMillis() by up to the lag above.
//
// SleepFor(d) sleeps on the base clock and then refreshes the cache from the
// base clock (also when d <= 0). SnowflakeGenerator waits for the next tick
// by SleepFor(target - WallNow()) and then re-reads WallUnixMillis(); without
// the refresh a waiter could find the old millisecond still cached and loop
// (re-sleeping for a zero or negative duration) until the ticker's next
// update. With it, the waiter's next read sees the millisecond it waited for.
//
// Refreshes never move the cache backwards on their own: the ticker's and
// SleepFor's refreshes each read the base clock and store the reading under
// one mutex, so the cache always holds the most recent reading in real-time
// order. Without the mutex, a ticker descheduled between its read and its
// store could overwrite a newer SleepFor refresh with an older value: a
// spurious regression. Only a real backward step of the base clock moves the
// cache backwards. WallUnixMillis() itself takes no lock.
//
// Thread-safety: every method may be called from any thread concurrently.
// The base clock must outlive the CachedClock, and the CachedClock must
// outlive every user (e.g. every SnowflakeGenerator built on it).
//
// Example:
//   static CachedClock* const clock = new CachedClock(SystemClock::Get());
//   auto gen = SnowflakeGenerator::Create(layout, worker, clock, {});
#ifndef IDGEN_CORE_CACHED_CLOCK_H_
#define IDGEN_CORE_CACHED_CLOCK_H_

#include <atomic>
#include <cstdint>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "idgen/clock.h"
#include "idgen/internal/mutex.h"

namespace idgen {

class CachedClock final : public Clock {
 public:
  // Reads `base` once, then starts the ticker thread, which refreshes the
  // cached value every `period` (raised to 1 us if smaller).
  explicit CachedClock(Clock* base, absl::Duration period = absl::Microseconds(100));
  // Stops and joins the ticker; prompt (does not wait out the period).
  ~CachedClock() override;

  CachedClock(const CachedClock&) = delete;
  CachedClock& operator=(const CachedClock&) = delete;

  // The cached base reading: lock-free, one atomic load.
  int64_t WallUnixMillis() override { return cached_ms_.load(std::memory_order_relaxed); }
  // The base clock's, read now.
  absl::Time WallNow() override;
  absl::Duration MonotonicNow() override;
  // base->SleepFor(d), then Refresh(). Refreshes also when d <= 0.
  void SleepFor(absl::Duration d) override;

  // Reads the base clock now and stores the reading in the cache.
  void Refresh() ABSL_LOCKS_EXCLUDED(refresh_mu_);

  absl::Duration period() const { return period_; }
  // Refreshes done by the ticker thread so far (for tests and measurements).
  uint64_t ticks() const { return ticks_.load(std::memory_order_relaxed); }

 private:
  void Run();

  Clock* const base_;
  const absl::Duration period_;

  // Read by every WallUnixMillis(); written only in Refresh(). On its own
  // cache line so the ticker's other state does not disturb the readers.
  alignas(64) std::atomic<int64_t> cached_ms_;

  // Orders refreshes: read-base-and-store is atomic with respect to other
  // refreshes. Not taken by WallUnixMillis().
  alignas(64) idgen::Mutex refresh_mu_;
  std::atomic<uint64_t> ticks_{0};

  // Stop signal for the ticker.
  idgen::Mutex stop_mu_;
  idgen::CondVar stop_cv_{&stop_mu_};
  bool stop_ ABSL_GUARDED_BY(stop_mu_) = false;

  std::thread ticker_;  // last: started after everything above is set up
};

}  // namespace idgen

#endif  // IDGEN_CORE_CACHED_CLOCK_H_
