// Copyright idgen authors.
//
// libFuzzer target: drives one SnowflakeGenerator over a FakeClock with a
// random sequence of operations (Next, NextBatch, clock moves both ways,
// reservation changes, ObserveClock) and checks, after every call, the promises the
// generator makes in snowflake_generator.h:
//   * every ID issued is strictly greater than every ID issued before it
//     (single-threaded, so this is global order) and none is issued twice;
//   * no ID carries a tick above the reservation in force during the call,
//     or at or below the starting floor (issue_after_unix_ms);
//   * no ID runs ahead of the wall clock by more than the borrow bound;
//   * every ID carries the generator's worker id;
//   * errors are only UNAVAILABLE or FAILED_PRECONDITION;
//   * Next() succeeds whenever nothing stands in its way (clock ahead of the
//     last ID, inside the layout's range, at or below the reservation);
//   * a call never sleeps longer than the wait bound plus the ticks it needs.
// The layout has 4 sequence bits, so sequence exhaustion happens constantly.
// FakeClock::SleepFor advances time instead of blocking, so nothing hangs.
//
// Run:  build/fuzz/bin/snowflake_generator_fuzz -max_total_time=60 CORPUS_DIR
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "fuzz/fuzz_check.h"
#include "idgen/clock.h"
#include "idgen/layout.h"
#include "idgen/snowflake_generator.h"

namespace idgen {
namespace {

constexpr int kMaxOps = 512;
constexpr int kMaxBatch = 48;
constexpr int64_t kUnbounded = std::numeric_limits<int64_t>::max();
constexpr int64_t kEpochMs = 1288834974657;  // twitter's
constexpr int64_t kStartMs = 1'700'000'000'000;

// A broken promise: print what broke and abort so libFuzzer saves the input.

enum Op : uint8_t {
  kNext,
  kNext2,
  kNext3,
  kBatch,
  kAdvanceMicros,
  kAdvanceMillis,
  kAdvanceSeconds,
  kStepBackSmall,
  kStepBackMedium,
  kStepBackLarge,
  kReserveNearNow,
  kReserveAtNow,
  kReserveUnbounded,
  kJumpBeforeEpoch,
  kJumpToEndOfTime,
  kObserveClock,
  kOpCount,
};

class Harness {
 public:
  Harness(FuzzedDataProvider& in)
      : in_(in),
        unit_ms_(in.ConsumeBool() ? 1 : 10),
        layout_(*Layout::Create({.time_bits = 41,
                                 .worker_bits = 10,
                                 .sequence_bits = 4,
                                 .unit_ms = unit_ms_,
                                 .epoch_unix_ms = kEpochMs,
                                 .name = "fuzz41/10/4"},
                                absl::FromUnixMillis(kStartMs))),
        clock_(absl::FromUnixMillis(kStartMs) +
               absl::Microseconds(in.ConsumeIntegralInRange<int>(0, 9999))) {
    worker_ = in.ConsumeIntegralInRange<int64_t>(0, 1023);
    const int64_t max_wait = in.ConsumeIntegralInRange<int64_t>(0, 20);
    const int64_t max_borrow = max_wait + in.ConsumeIntegralInRange<int64_t>(0, 3000);
    SnowflakeOptions options;
    options.policy.max_wait = absl::Milliseconds(max_wait);
    options.policy.max_borrow = absl::Milliseconds(max_borrow);
    if (in.ConsumeBool()) {
      // A previous holder's reservation, behind or ahead of the clock.
      options.issue_after_unix_ms = kStartMs + in.ConsumeIntegralInRange<int64_t>(-100, 100);
      floor_tick_ = layout_.TickOf(options.issue_after_unix_ms);
    }
    if (in.ConsumeBool()) SetReservation(kStartMs + in.ConsumeIntegralInRange<int64_t>(-50, 500));
    options.reserved_until_unix_ms = reserved_ms_;
    auto gen = SnowflakeGenerator::Create(layout_, worker_, &clock_, options);
    FUZZ_CHECK(gen.ok(), "Create: %s", gen.status().ToString().c_str());
    gen_ = *std::move(gen);
    max_wait_ms_ = max_wait;
    max_borrow_ms_ = max_borrow;
  }

  void Run() {
    for (int i = 0; i < kMaxOps && in_.remaining_bytes() > 0; ++i) {
      switch (in_.ConsumeIntegralInRange<uint8_t>(0, kOpCount - 1)) {
        case kNext:
        case kNext2:
        case kNext3:
          DoNext();
          break;
        case kBatch:
          DoBatch(in_.ConsumeIntegralInRange<size_t>(1, kMaxBatch));
          break;
        case kAdvanceMicros:
          clock_.Advance(absl::Microseconds(in_.ConsumeIntegralInRange<int>(0, 1500)));
          break;
        case kAdvanceMillis:
          clock_.Advance(absl::Milliseconds(in_.ConsumeIntegralInRange<int>(0, 50)));
          break;
        case kAdvanceSeconds:
          clock_.Advance(absl::Milliseconds(in_.ConsumeIntegralInRange<int>(0, 10'000)));
          break;
        case kStepBackSmall:
          clock_.StepWall(-absl::Milliseconds(in_.ConsumeIntegralInRange<int>(0, 25)));
          break;
        case kStepBackMedium:
          clock_.StepWall(-absl::Milliseconds(in_.ConsumeIntegralInRange<int>(0, 3500)));
          break;
        case kStepBackLarge:
          clock_.StepWall(-absl::Milliseconds(in_.ConsumeIntegralInRange<int>(0, 120'000)));
          break;
        case kReserveNearNow:
          SetReservation(WallMs() + in_.ConsumeIntegralInRange<int64_t>(-100, 400));
          break;
        case kReserveAtNow:
          // The interesting edge: the reservation a tick or two either side
          // of the clock.
          SetReservation(WallMs() + unit_ms_ * in_.ConsumeIntegralInRange<int64_t>(-3, 3));
          break;
        case kReserveUnbounded:
          SetReservation(kUnbounded);
          break;
        case kJumpBeforeEpoch:
          clock_.SetWall(absl::FromUnixMillis(kEpochMs - in_.ConsumeIntegralInRange<int>(1, 5)));
          break;
        case kJumpToEndOfTime:
          // A few ticks either side of the last one the time bits can hold.
          clock_.SetWall(absl::FromUnixMillis(layout_.UnixMillisOf(layout_.max_tick()) +
                                              in_.ConsumeIntegralInRange<int64_t>(-40, 40)));
          break;
        case kObserveClock:
          // Must not issue, sleep or disturb anything checked above.
          ObserveClock();
          break;
        default:
          break;
      }
    }
    // Independent of the order check: no ID appears twice.
    std::sort(all_.begin(), all_.end());
    FUZZ_CHECK(std::adjacent_find(all_.begin(), all_.end()) == all_.end(), "duplicate ID");
  }

 private:
  int64_t WallMs() { return absl::ToUnixMillis(clock_.WallNow()); }

  void SetReservation(int64_t unix_ms) {
    reserved_ms_ = unix_ms;
    reserved_tick_ = unix_ms == kUnbounded ? kUnbounded : layout_.TickOf(unix_ms);
    if (gen_ != nullptr) gen_->SetReservedUntil(unix_ms);
  }

  void CheckError(const absl::Status& s, const char* what) {
    FUZZ_CHECK(s.code() == absl::StatusCode::kUnavailable ||
                   s.code() == absl::StatusCode::kFailedPrecondition,
               "%s returned %s", what, s.ToString().c_str());
  }

  // Checks one issued ID; `wall_tick_after` is the clock's tick when the call
  // returned (the clock only moves forwards during a call).
  void CheckId(uint64_t id, int64_t wall_tick_after) {
    const DecodedId d = layout_.Decode(id);
    const auto tick = static_cast<int64_t>(d.tick);
    FUZZ_CHECK(!have_last_ || id > last_id_, "ID %llu not above previous %llu",
               static_cast<unsigned long long>(id), static_cast<unsigned long long>(last_id_));
    FUZZ_CHECK(d.worker == static_cast<uint64_t>(worker_), "worker %llu, want %lld",
               static_cast<unsigned long long>(d.worker), static_cast<long long>(worker_));
    FUZZ_CHECK(tick <= reserved_tick_, "tick %lld above reservation tick %lld",
               static_cast<long long>(tick), static_cast<long long>(reserved_tick_));
    FUZZ_CHECK(tick > floor_tick_, "tick %lld not above floor tick %lld",
               static_cast<long long>(tick), static_cast<long long>(floor_tick_));
    FUZZ_CHECK((tick - wall_tick_after) * unit_ms_ <= max_borrow_ms_,
               "tick %lld ahead of wall tick %lld by more than the borrow bound %lld ms",
               static_cast<long long>(tick), static_cast<long long>(wall_tick_after),
               static_cast<long long>(max_borrow_ms_));
    have_last_ = true;
    last_id_ = id;
    all_.push_back(id);
  }

  void DoNext() {
    const int64_t wall_tick = layout_.TickOf(WallMs());
    const int64_t last_tick = layout_.TickOf(gen_->last_issued_unix_ms());
    const bool must_succeed = wall_tick > last_tick && wall_tick >= 0 &&
                              static_cast<uint64_t>(wall_tick) <= layout_.max_tick() &&
                              wall_tick <= reserved_tick_;
    const absl::Duration slept_before = clock_.TotalSlept();
    absl::StatusOr<uint64_t> id = gen_->Next();
    const int64_t slept_ms = absl::ToInt64Milliseconds(clock_.TotalSlept() - slept_before);
    FUZZ_CHECK(slept_ms <= max_wait_ms_ + unit_ms_, "Next slept %lld ms (wait bound %lld)",
               static_cast<long long>(slept_ms), static_cast<long long>(max_wait_ms_));
    if (!id.ok()) {
      CheckError(id.status(), "Next");
      FUZZ_CHECK(!must_succeed, "Next failed with nothing in its way: %s",
                 id.status().ToString().c_str());
      return;
    }
    CheckId(*id, layout_.TickOf(WallMs()));
  }

  void ObserveClock() {
    const int64_t last_ms = gen_->last_issued_unix_ms();
    const absl::Duration slept_before = clock_.TotalSlept();
    gen_->ObserveClock();
    FUZZ_CHECK(gen_->last_issued_unix_ms() == last_ms, "ObserveClock moved the last issued tick");
    FUZZ_CHECK(clock_.TotalSlept() == slept_before, "ObserveClock slept");
  }

  void DoBatch(size_t n) {
    std::vector<uint64_t> out(n);
    const absl::Duration slept_before = clock_.TotalSlept();
    const absl::Status s = gen_->NextBatch(absl::MakeSpan(out));
    const int64_t slept_ms = absl::ToInt64Milliseconds(clock_.TotalSlept() - slept_before);
    const int64_t ticks_needed = static_cast<int64_t>(n / (layout_.max_sequence() + 1)) + 2;
    FUZZ_CHECK(slept_ms <= max_wait_ms_ + ticks_needed * unit_ms_,
               "NextBatch(%zu) slept %lld ms (wait bound %lld)", n,
               static_cast<long long>(slept_ms), static_cast<long long>(max_wait_ms_));
    if (!s.ok()) {
      // Some IDs may have been consumed; none of `out` may be used.
      CheckError(s, "NextBatch");
      return;
    }
    const int64_t wall_tick_after = layout_.TickOf(WallMs());
    for (uint64_t id : out) CheckId(id, wall_tick_after);
  }

  FuzzedDataProvider& in_;
  const int64_t unit_ms_;
  const Layout layout_;
  FakeClock clock_;
  int64_t worker_ = 0;
  int64_t max_wait_ms_ = 0;
  int64_t max_borrow_ms_ = 0;
  int64_t floor_tick_ = std::numeric_limits<int64_t>::min();
  int64_t reserved_ms_ = kUnbounded;
  int64_t reserved_tick_ = kUnbounded;
  std::unique_ptr<SnowflakeGenerator> gen_;
  bool have_last_ = false;
  uint64_t last_id_ = 0;
  std::vector<uint64_t> all_;
};

}  // namespace
}  // namespace idgen

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  idgen::Harness harness(in);
  harness.Run();
  return 0;
}
