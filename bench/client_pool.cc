// Copyright idgen authors.
//
// client_pool: the client library under load against a live node, for
// bench/client_vs_redis.mjs. Prints one JSON object.
//
//   client_pool --target ADDR --mode pool|unary|async [--threads N] [--seconds S]
//               [--rate R] [--batch B] [--low-water L] [--namespace NS]
//               [--max-attempts N]
//
//   pool   N threads call IdPool::Next() (batch B, low water L)
//   unary  N threads call Client::NextId() (one call per ID)
//   async  one thread keeps N Client::NextIdAsync() calls in flight (each
//          answer starts the next), the shape of `idgen bench --mode unary`
// --rate R paces all threads together at R calls/s. Latency: the time
// inside the call (p50_us, p99_us, p999_us: what a caller of Next() waits
// once it calls) and, paced, from when the call was due (p99_due_us:
// coordinated omission corrected, so it includes the pacing's own jitter).
// Every ID is kept and checked for duplicates at the end. Exit 1 when a call
// failed or an ID repeated, 2 for bad flags.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "idgen/client/client.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  std::string target;
  std::string mode = "pool";
  std::string ns;
  int threads = 4;
  double seconds = 10;
  double rate = 0;
  uint32_t batch = 10000;
  uint32_t low_water = 5000;
  int max_attempts = 3;  // ClientOptions::max_attempts (1: retries off, as `idgen bench`)
};

[[noreturn]] void Usage(const std::string& message) {
  std::cerr << "client_pool: " << message
            << "\nusage: client_pool --target ADDR --mode pool|unary [--threads N] [--seconds S] "
               "[--rate R] [--batch B] [--low-water L] [--namespace NS] [--max-attempts N]\n";
  std::exit(2);
}

Flags Parse(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string name = argv[i];
    if (i + 1 >= argc) Usage(name + " needs a value");
    const std::string v = argv[++i];
    char* end = nullptr;
    const double n = std::strtod(v.c_str(), &end);
    const bool number = end != v.c_str() && *end == '\0';
    if (name == "--target") {
      f.target = v;
    } else if (name == "--mode") {
      f.mode = v;
    } else if (name == "--namespace") {
      f.ns = v;
    } else if (name == "--threads" && number && n >= 1 && n <= 1024) {
      f.threads = static_cast<int>(n);
    } else if (name == "--max-attempts" && number && n >= 1 && n <= 5 && n == static_cast<int>(n)) {
      f.max_attempts = static_cast<int>(n);
    } else if (name == "--seconds" && number && n > 0 && n <= 3600) {
      f.seconds = n;
    } else if (name == "--rate" && number && n >= 0) {
      f.rate = n;
    } else if (name == "--batch" && number && n >= 1 && n <= 100000) {
      f.batch = static_cast<uint32_t>(n);
    } else if (name == "--low-water" && number && n >= 0 && n <= 100000) {
      f.low_water = static_cast<uint32_t>(n);
    } else {
      Usage("bad flag or value: " + name + " " + v);
    }
  }
  if (f.target.empty()) Usage("--target is required");
  if (f.mode != "pool" && f.mode != "unary" && f.mode != "async") {
    Usage("--mode must be pool, unary or async");
  }
  if (f.mode == "async" && f.rate > 0) Usage("--rate is for pool and unary");
  return f;
}

double Percentile(std::vector<uint32_t>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k] / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  const Flags f = Parse(argc, argv);
  idgen::client::ClientOptions options;
  options.target = f.target;
  options.deadline = std::chrono::seconds(5);
  options.max_attempts = f.max_attempts;
  idgen::client::StatusOr<idgen::client::Client> client = idgen::client::Client::Create(options);
  if (!client.ok()) Usage(client.status().ToString());
  std::optional<idgen::client::IdPool> pool;
  if (f.mode == "pool") {
    idgen::client::StatusOr<idgen::client::IdPool> p =
        client->Pool(f.ns, {.batch = f.batch, .low_water = std::min(f.low_water, f.batch)});
    if (!p.ok()) Usage(p.status().ToString());
    pool = *std::move(p);
    if (!pool->Next().ok()) {  // the first refill, before the clock starts
      std::cerr << "client_pool: the node did not answer\n";
      return 1;
    }
  }

  std::atomic<uint64_t> errors{0};
  std::vector<std::vector<uint64_t>> ids(static_cast<size_t>(f.threads));
  std::vector<std::vector<uint32_t>> lat(static_cast<size_t>(f.threads));
  std::vector<std::vector<uint32_t>> due_lat(static_cast<size_t>(f.threads));
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(f.seconds));
  // async: `threads` chains of NextIdAsync, each answer starting the next
  // call of its chain; a chain's vectors are touched by one call at a time.
  std::mutex done_mu;
  std::condition_variable done_cv;
  int chains_left = f.threads;
  std::function<void(size_t)> issue = [&](size_t chain) {
    const auto call_start = Clock::now();
    client->NextIdAsync(f.ns, [&, chain, call_start](idgen::client::StatusOr<uint64_t> id) {
      const auto call_end = Clock::now();
      if (id.ok()) {
        ids[chain].push_back(*id);
        lat[chain].push_back(static_cast<uint32_t>(std::min<int64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(call_end - call_start).count(),
            UINT32_MAX)));
      } else if (errors.fetch_add(1) == 0) {
        std::cerr << "client_pool: " << id.status().ToString() << "\n";
      }
      if (call_end < end) {
        issue(chain);
        return;
      }
      std::lock_guard<std::mutex> lock(done_mu);
      if (--chains_left == 0) done_cv.notify_all();
    });
  };
  if (f.mode == "async") {
    for (size_t c = 0; c < static_cast<size_t>(f.threads); ++c) issue(c);
    std::unique_lock<std::mutex> lock(done_mu);
    done_cv.wait(lock, [&] { return chains_left == 0; });
  }
  std::vector<std::thread> workers;
  for (int t = 0; t < f.threads && f.mode != "async"; ++t) {
    workers.emplace_back([&, t] {
      auto& my_ids = ids[static_cast<size_t>(t)];
      auto& my_lat = lat[static_cast<size_t>(t)];
      auto& my_due_lat = due_lat[static_cast<size_t>(t)];
      const double per_thread = f.rate / f.threads;
      const auto interval = per_thread > 0 ? std::chrono::duration_cast<Clock::duration>(
                                                 std::chrono::duration<double>(1.0 / per_thread))
                                           : Clock::duration::zero();
      auto due = start + interval * t / f.threads;
      auto ns_of = [](Clock::duration d) {
        return static_cast<uint32_t>(std::min<int64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(), UINT32_MAX));
      };
      for (uint64_t i = 0; i < 200'000'000; ++i) {
        if (Clock::now() >= end) break;
        const auto this_due = due;
        if (interval.count() > 0) {
          if (Clock::now() < due) std::this_thread::sleep_until(due);
          due += interval;
        }
        const auto call_start = Clock::now();
        idgen::client::StatusOr<uint64_t> id = pool ? pool->Next() : client->NextId(f.ns);
        const auto call_end = Clock::now();
        if (!id.ok()) {
          if (errors.fetch_add(1) == 0)
            std::cerr << "client_pool: " << id.status().ToString() << "\n";
          continue;
        }
        my_ids.push_back(*id);
        my_lat.push_back(ns_of(call_end - call_start));
        if (interval.count() > 0) my_due_lat.push_back(ns_of(call_end - this_due));
      }
    });
  }
  for (auto& w : workers) w.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<uint64_t> all;
  std::vector<uint32_t> latencies;
  std::vector<uint32_t> due_latencies;
  for (int t = 0; t < f.threads; ++t) {
    all.insert(all.end(), ids[static_cast<size_t>(t)].begin(), ids[static_cast<size_t>(t)].end());
    latencies.insert(latencies.end(), lat[static_cast<size_t>(t)].begin(),
                     lat[static_cast<size_t>(t)].end());
    due_latencies.insert(due_latencies.end(), due_lat[static_cast<size_t>(t)].begin(),
                         due_lat[static_cast<size_t>(t)].end());
  }
  std::sort(all.begin(), all.end());
  const size_t unique_ids =
      static_cast<size_t>(std::distance(all.begin(), std::unique(all.begin(), all.end())));
  const size_t dups = all.size() - unique_ids;
  const idgen::client::PoolStats stats = pool ? pool->Stats() : idgen::client::PoolStats{};
  std::printf(
      "{\"mode\":\"%s\",\"threads\":%d,\"rate\":%.0f,\"seconds\":%.3f,\"ids\":%zu,"
      "\"ids_per_s\":%.1f,\"p50_us\":%.3f,\"p99_us\":%.3f,\"p999_us\":%.3f,\"p99_due_us\":%.3f,"
      "\"errors\":%llu,"
      "\"duplicates\":%llu,\"refills\":%llu,\"dropped\":%llu}\n",
      f.mode.c_str(), f.threads, f.rate, elapsed, all.size(),
      static_cast<double>(all.size()) / elapsed, Percentile(latencies, 0.50),
      Percentile(latencies, 0.99), Percentile(latencies, 0.999), Percentile(due_latencies, 0.99),
      static_cast<unsigned long long>(errors.load()), static_cast<unsigned long long>(dups),
      static_cast<unsigned long long>(stats.refills),
      static_cast<unsigned long long>(stats.dropped_stale) +
          static_cast<unsigned long long>(stats.dropped_unused));
  return errors.load() == 0 && dups == 0 ? 0 : 1;
}
