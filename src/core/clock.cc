// Copyright idgen authors.
#include "idgen/clock.h"

#include <ctime>
#include <thread>

namespace idgen {
namespace {

absl::Duration ReadMonotonic() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return absl::DurationFromTimespec(ts);
}

}  // namespace

SystemClock* SystemClock::Get() {
  static SystemClock* const kClock = new SystemClock();
  return kClock;
}

absl::Time SystemClock::WallNow() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return absl::TimeFromTimespec(ts);
}

int64_t SystemClock::WallUnixMillis() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  // floor division: tv_nsec is always in [0, 1e9)
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

absl::Duration SystemClock::MonotonicNow() { return ReadMonotonic(); }

void SystemClock::SleepFor(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return;
  const absl::Duration deadline = ReadMonotonic() + d;
  // The kernel wakes us late by tens of microseconds; sleep for the bulk and
  // spin (yielding the core) for the final stretch.
  constexpr absl::Duration kSpin = absl::Microseconds(150);
  if (d > kSpin) std::this_thread::sleep_for(absl::ToChronoNanoseconds(d - kSpin));
  while (ReadMonotonic() < deadline) std::this_thread::yield();
}

FakeClock::FakeClock(absl::Time wall_start)
    : wall_(wall_start), mono_(absl::Hours(1)), slept_(absl::ZeroDuration()) {}

absl::Time FakeClock::WallNow() {
  idgen::MutexLock lock(&mu_);
  return wall_;
}

absl::Duration FakeClock::MonotonicNow() {
  idgen::MutexLock lock(&mu_);
  return mono_;
}

void FakeClock::SleepFor(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return;
  idgen::MutexLock lock(&mu_);
  wall_ += d;
  mono_ += d;
  slept_ += d;
  ++sleep_calls_;
}

void FakeClock::Advance(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return;
  idgen::MutexLock lock(&mu_);
  wall_ += d;
  mono_ += d;
}

void FakeClock::SetWall(absl::Time t) {
  idgen::MutexLock lock(&mu_);
  wall_ = t;
}

void FakeClock::StepWall(absl::Duration d) {
  idgen::MutexLock lock(&mu_);
  wall_ += d;
}

absl::Duration FakeClock::TotalSlept() {
  idgen::MutexLock lock(&mu_);
  return slept_;
}

int64_t FakeClock::SleepCalls() {
  idgen::MutexLock lock(&mu_);
  return sleep_calls_;
}

}  // namespace idgen
