// Copyright idgen authors.
//
// Benchmarks of the I/O-free core: the snowflake generator on the real system
// clock (1 and 2 threads), a naive mutex-based snowflake measured beside it in
// the same run, layout decoding and the text codecs.
//
// Two layouts for the generator:
//   twitter      41/10/12 at 1 ms: 4,096 IDs per ms, a ceiling of 4,096,000/s.
//                The sequence is the limit; "pct_of_ceiling" says how close the
//                generator comes to it (target: 95%).
//   wide41/2/20  41/2/20 at 1 ms: about 1M IDs per ms, so the sequence is not the
//                limit and the figure is the generator's own cost per ID
//                (target: under 20 ns).
// Every generator benchmark uses real time: waiting for the next millisecond is
// part of the cost. BM_ClockRead shows the floor: each Next() reads the clock.
// BM_NextCachedClock repeats BM_Next on a CachedClock (a ticker thread caches
// the wall clock's millisecond; src/core/cached_clock.h), whose read is
// BM_CachedClockRead; BM_CachedClockTicker measures the ticker's own cost.
//
// Run: node bench/core_bench.mjs [--build] (runs and summarises), or
//      build/bin/core_bench --benchmark_filter=Next
#include <benchmark/benchmark.h>

#include <ctime>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "idgen/clock.h"
#include "idgen/codec.h"
#include "idgen/layout.h"
#include "idgen/snowflake_generator.h"
#include "src/core/cached_clock.h"

namespace idgen {
namespace {

Layout WideLayout() {
  absl::StatusOr<Layout> l = Layout::Create({.time_bits = 41,
                                             .worker_bits = 2,
                                             .sequence_bits = 20,
                                             .unit_ms = 1,
                                             .epoch_unix_ms = 1288834974657,
                                             .name = "wide41/2/20"},
                                            absl::Now());
  if (!l.ok()) {
    std::fprintf(stderr, "wide layout: %s\n", l.status().ToString().c_str());
    std::abort();
  }
  return *l;
}

constexpr int kTwitter = 0;
constexpr int kWide = 1;

const Layout& LayoutFor(int which) {
  static const Layout* const twitter = new Layout(Layout::Twitter());
  static const Layout* const wide = new Layout(WideLayout());
  return which == kTwitter ? *twitter : *wide;
}

// The percentage of `layout`'s ceiling that `ids` per thread reach, as a rate
// counter (summed over threads, divided by the run's real time).
benchmark::Counter PctOfCeiling(const Layout& layout, int64_t ids) {
  return benchmark::Counter(static_cast<double>(ids) * 100.0 / layout.ids_per_second_per_worker(),
                            benchmark::Counter::kIsRate);
}

// ---- Driving generators from several threads ------------------------------

// Each benchmark iteration has `threads` threads (the calling one among them)
// each take kIdsPerThread IDs from one shared generator; the iteration's real
// time is the wall time of the whole round. Google Benchmark's own ->Threads()
// times each thread separately and averages, which overstates the throughput
// of a shared, rate-limited resource when the threads do not finish together.
constexpr int64_t kIdsPerThread = int64_t{1} << 17;

// `next` returns false on error (and stores a message in *error).
template <typename NextFn>
void DriveThreads(benchmark::State& state, int threads, NextFn next) {
  std::atomic<bool> failed{false};
  std::string error;
  std::mutex error_mu;
  auto take = [&] {
    std::string e;
    for (int64_t i = 0; i < kIdsPerThread; ++i) {
      if (!next(&e)) {
        std::lock_guard<std::mutex> lock(error_mu);
        error = e;
        failed = true;
        return;
      }
    }
  };
  for (auto _ : state) {
    std::vector<std::thread> others;
    others.reserve(static_cast<size_t>(threads - 1));
    for (int t = 1; t < threads; ++t) others.emplace_back(take);
    take();
    for (std::thread& th : others) th.join();
    if (failed) {
      state.SkipWithError(error.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * threads * kIdsPerThread);
}

// ---- The generator under test -------------------------------------------

void BM_Next(benchmark::State& state, int which) {
  const Layout& layout = LayoutFor(which);
  auto created = SnowflakeGenerator::Create(layout, /*worker=*/1, SystemClock::Get(), {});
  if (!created.ok()) {
    state.SkipWithError(created.status().ToString().c_str());
    return;
  }
  SnowflakeGenerator& gen = **created;
  const auto threads = static_cast<int>(state.range(0));
  DriveThreads(state, threads, [&gen](std::string* error) {
    absl::StatusOr<uint64_t> id = gen.Next();
    if (!id.ok()) {
      *error = id.status().ToString();
      return false;
    }
    benchmark::DoNotOptimize(*id);
    return true;
  });
  if (which == kTwitter) {
    state.counters["pct_of_ceiling"] =
        PctOfCeiling(layout, state.iterations() * threads * kIdsPerThread);
  }
}
BENCHMARK_CAPTURE(BM_Next, twitter, kTwitter)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_Next, wide, kWide)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime();

// The same on a CachedClock over the system clock (default 100 us period):
// WallUnixMillis() is an atomic load instead of a clock_gettime, at the price
// of timestamps that may lag by about a period (src/core/cached_clock.h).
// The clock, and its ticker thread, lives for one benchmark run.
void BM_NextCachedClock(benchmark::State& state, int which) {
  const Layout& layout = LayoutFor(which);
  CachedClock clock(SystemClock::Get());
  auto created = SnowflakeGenerator::Create(layout, /*worker=*/1, &clock, {});
  if (!created.ok()) {
    state.SkipWithError(created.status().ToString().c_str());
    return;
  }
  SnowflakeGenerator& gen = **created;
  const auto threads = static_cast<int>(state.range(0));
  DriveThreads(state, threads, [&gen](std::string* error) {
    absl::StatusOr<uint64_t> id = gen.Next();
    if (!id.ok()) {
      *error = id.status().ToString();
      return false;
    }
    benchmark::DoNotOptimize(*id);
    return true;
  });
  if (which == kTwitter) {
    state.counters["pct_of_ceiling"] =
        PctOfCeiling(layout, state.iterations() * threads * kIdsPerThread);
  }
  const SnowflakeGenerator::Stats stats = gen.stats();
  state.counters["regressions"] = static_cast<double>(stats.regressions);
}
BENCHMARK_CAPTURE(BM_NextCachedClock, twitter, kTwitter)->ArgName("threads")->Arg(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_NextCachedClock, wide, kWide)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();

void BM_NextBatch(benchmark::State& state, int which) {
  const Layout& layout = LayoutFor(which);
  auto created = SnowflakeGenerator::Create(layout, /*worker=*/1, SystemClock::Get(), {});
  if (!created.ok()) {
    state.SkipWithError(created.status().ToString().c_str());
    return;
  }
  SnowflakeGenerator& gen = **created;
  std::vector<uint64_t> ids(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    absl::Status s = gen.NextBatch(absl::MakeSpan(ids));
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(ids.data());
    benchmark::ClobberMemory();
  }
  const int64_t n = state.iterations() * state.range(0);
  state.SetItemsProcessed(n);
  if (which == kTwitter) state.counters["pct_of_ceiling"] = PctOfCeiling(layout, n);
}
BENCHMARK_CAPTURE(BM_NextBatch, twitter, kTwitter)->ArgName("n")->Arg(1000)->UseRealTime();
BENCHMARK_CAPTURE(BM_NextBatch, wide, kWide)->ArgName("n")->Arg(1000)->UseRealTime();

// ---- The naive peer -------------------------------------------------------

// The textbook snowflake: one mutex around (last millisecond, sequence); on
// sequence exhaustion spin until the clock reaches the next millisecond. No
// clock-regression policy, no reservation: it is here only as a yardstick.
class NaiveSnowflake {
 public:
  NaiveSnowflake(const Layout& layout, uint64_t worker)
      : epoch_ms_(layout.epoch_unix_ms()),
        tick_shift_(layout.sequence_bits() + layout.worker_bits()),
        seq_mask_(layout.max_sequence()),
        worker_part_(worker << layout.sequence_bits()) {}

  uint64_t Next() {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t now = NowMs();
    if (now == last_ms_) {
      seq_ = (seq_ + 1) & seq_mask_;
      if (seq_ == 0) {
        while (now <= last_ms_) now = NowMs();
      }
    } else {
      seq_ = 0;
    }
    last_ms_ = now;
    return (static_cast<uint64_t>(now - epoch_ms_) << tick_shift_) | worker_part_ | seq_;
  }

 private:
  static int64_t NowMs() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
  }

  const int64_t epoch_ms_;
  const int tick_shift_;
  const uint64_t seq_mask_;
  const uint64_t worker_part_;
  std::mutex mu_;
  int64_t last_ms_ = -1;
  uint64_t seq_ = 0;
};

void BM_NaiveMutexNext(benchmark::State& state, int which) {
  const Layout& layout = LayoutFor(which);
  NaiveSnowflake gen(layout, /*worker=*/1);
  const auto threads = static_cast<int>(state.range(0));
  DriveThreads(state, threads, [&gen](std::string*) {
    benchmark::DoNotOptimize(gen.Next());
    return true;
  });
  if (which == kTwitter) {
    state.counters["pct_of_ceiling"] =
        PctOfCeiling(layout, state.iterations() * threads * kIdsPerThread);
  }
}
BENCHMARK_CAPTURE(BM_NaiveMutexNext, twitter, kTwitter)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_NaiveMutexNext, wide, kWide)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();

// The floor under every generator above: one read of the wall clock.
void BM_ClockRead(benchmark::State& state) {
  Clock* clock = SystemClock::Get();
  for (auto _ : state) benchmark::DoNotOptimize(clock->WallUnixMillis());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClockRead);

// The hot-path read of a CachedClock: one atomic load (through the Clock
// interface, as the generator calls it).
void BM_CachedClockRead(benchmark::State& state) {
  CachedClock cached(SystemClock::Get());
  Clock* clock = &cached;
  benchmark::DoNotOptimize(clock);  // keep the virtual call: the generator makes it
  for (auto _ : state) benchmark::DoNotOptimize(clock->WallUnixMillis());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CachedClockRead);

// The price of a CachedClock when idle: its ticker thread's wake-ups per
// second and the CPU it burns, as a percentage of one core (the process's CPU
// time over real time while the benchmark thread only sleeps).
void BM_CachedClockTicker(benchmark::State& state) {
  CachedClock clock(SystemClock::Get(), absl::Microseconds(state.range(0)));
  const auto cpu_now = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return absl::DurationFromTimespec(ts);
  };
  const uint64_t ticks0 = clock.ticks();
  const absl::Duration cpu0 = cpu_now();
  const absl::Time real0 = absl::Now();
  for (auto _ : state) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const double real_s = absl::ToDoubleSeconds(absl::Now() - real0);
  state.counters["wakeups_per_s"] = static_cast<double>(clock.ticks() - ticks0) / real_s;
  state.counters["ticker_cpu_pct"] = absl::ToDoubleSeconds(cpu_now() - cpu0) * 100.0 / real_s;
}
BENCHMARK(BM_CachedClockTicker)->ArgName("period_us")->Arg(100)->Arg(1000)->UseRealTime();

// ---- Decode and codecs ------------------------------------------------------

constexpr size_t kSamples = 1024;  // a power of two

// Realistic IDs: twitter-layout IDs spread over the last year, random worker
// and sequence, from a fixed seed.
const std::array<uint64_t, kSamples>& SampleIds() {
  static const auto* const kIds = [] {
    auto* ids = new std::array<uint64_t, kSamples>();
    std::mt19937_64 rng(42);
    const Layout& l = LayoutFor(kTwitter);
    const auto now_tick = static_cast<uint64_t>(l.TickOf(absl::ToUnixMillis(absl::Now())));
    for (uint64_t& id : *ids) {
      id = l.Compose(now_tick - rng() % 31'536'000'000, rng() & l.max_worker(),
                     rng() & l.max_sequence());
    }
    return ids;
  }();
  return *kIds;
}

void BM_LayoutDecode(benchmark::State& state) {
  const Layout& layout = LayoutFor(kTwitter);
  const auto& ids = SampleIds();
  size_t i = 0;
  for (auto _ : state) {
    DecodedId d = layout.Decode(ids[i++ & (kSamples - 1)]);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LayoutDecode);

constexpr std::array<IdFormat, 4> kFormats = {IdFormat::kDecimal, IdFormat::kHex, IdFormat::kBase62,
                                              IdFormat::kBase32};

void BM_FormatId(benchmark::State& state) {
  const IdFormat f = kFormats[static_cast<size_t>(state.range(0))];
  const auto& ids = SampleIds();
  size_t i = 0;
  for (auto _ : state) {
    std::string s = FormatId(ids[i++ & (kSamples - 1)], f);
    benchmark::DoNotOptimize(s.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(IdFormatName(f)));
}
BENCHMARK(BM_FormatId)->DenseRange(0, 3);

void BM_FormatIdTo(benchmark::State& state) {
  const IdFormat f = kFormats[static_cast<size_t>(state.range(0))];
  const auto& ids = SampleIds();
  std::array<char, kMaxIdTextLength> buf{};
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(FormatIdTo(ids[i++ & (kSamples - 1)], f, buf.data()));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(IdFormatName(f)));
}
BENCHMARK(BM_FormatIdTo)->DenseRange(0, 3);

void BM_ParseId(benchmark::State& state) {
  const IdFormat f = kFormats[static_cast<size_t>(state.range(0))];
  std::vector<std::string> texts;
  texts.reserve(kSamples);
  for (uint64_t id : SampleIds()) texts.push_back(FormatId(id, f));
  size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<uint64_t> id = ParseId(texts[i++ & (kSamples - 1)], f);
    benchmark::DoNotOptimize(id);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(IdFormatName(f)));
}
BENCHMARK(BM_ParseId)->DenseRange(0, 3);

}  // namespace
}  // namespace idgen

BENCHMARK_MAIN();
