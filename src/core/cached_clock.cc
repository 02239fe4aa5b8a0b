// Copyright idgen authors.
#include "src/core/cached_clock.h"

#include <algorithm>

namespace idgen {

CachedClock::CachedClock(Clock* base, absl::Duration period)
    : base_(base),
      period_(std::max(period, absl::Microseconds(1))),
      cached_ms_(base->WallUnixMillis()) {
  ticker_ = std::thread([this] { Run(); });
}

CachedClock::~CachedClock() {
  {
    idgen::MutexLock lock(&stop_mu_);
    stop_ = true;
    stop_cv_.Signal();
  }
  ticker_.join();
}

absl::Time CachedClock::WallNow() { return base_->WallNow(); }

absl::Duration CachedClock::MonotonicNow() { return base_->MonotonicNow(); }

void CachedClock::SleepFor(absl::Duration d) {
  base_->SleepFor(d);
  // Even for d <= 0: the caller is waiting for the clock to reach a value the
  // base clock may already show but the cache does not yet.
  Refresh();
}

void CachedClock::Refresh() {
  // Read and store under the lock, so that stores happen in the order of the
  // reads and a slow refresher cannot overwrite a newer reading with an older
  // one. A backward step of the base clock is stored as read: regressions
  // must reach the generator.
  idgen::MutexLock lock(&refresh_mu_);
  cached_ms_.store(base_->WallUnixMillis(), std::memory_order_relaxed);
}

void CachedClock::Run() {
  // Real time between refreshes: the ticker paces itself, whatever `base_`.
  stop_mu_.Lock();
  while (!stop_) {
    if (!stop_cv_.WaitFor(period_)) continue;  // woken: stopping, or spurious
    stop_mu_.Unlock();
    Refresh();
    ticks_.fetch_add(1, std::memory_order_relaxed);
    stop_mu_.Lock();
  }
  stop_mu_.Unlock();
}

}  // namespace idgen
