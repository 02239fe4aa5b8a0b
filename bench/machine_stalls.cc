// Copyright idgen authors.
//
// machine_stalls: how often this machine stops a running thread. One thread
// per CPU, each pinned to its CPU, reads the monotonic clock in a tight loop
// for a few seconds and counts the gaps between two reads: time in which the
// thread was runnable but did not run (hypervisor steal, interrupts, kernel
// threads). On a quiet bare-metal core gaps stay in the microseconds; the
// gaps here are the floor under any tail latency measured on this machine.
//
//   machine_stalls [--seconds S (default 5)] [--json]
//
// Prints one line per CPU (or one JSON object): gaps over 0.2, 0.5, 1 and
// 5 ms per second, and the longest gap. Run by bench/grpc_vs_redis.mjs before
// its loads; figures in docs/BENCHMARKS.md.
#include <pthread.h>
#include <sched.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Gaps {
  int cpu = 0;
  long over_200us = 0, over_500us = 0, over_1ms = 0, over_5ms = 0;
  long max_us = 0;
};

Gaps Probe(int cpu, double seconds) {
  Gaps g;
  g.cpu = cpu;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  const Clock::time_point end =
      Clock::now() + std::chrono::nanoseconds(static_cast<long>(seconds * 1e9));
  Clock::time_point prev = Clock::now();
  while (prev < end) {
    const Clock::time_point now = Clock::now();
    const long us = std::chrono::duration_cast<std::chrono::microseconds>(now - prev).count();
    g.over_200us += us > 200;
    g.over_500us += us > 500;
    g.over_1ms += us > 1000;
    g.over_5ms += us > 5000;
    if (us > g.max_us) g.max_us = us;
    prev = now;
  }
  return g;
}

[[noreturn]] void Usage(const std::string& msg) {
  std::cerr << "machine_stalls: " << msg << "\nusage: machine_stalls [--seconds S] [--json]\n";
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 5;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--json") {
      json = true;
    } else if (a == "--seconds" && i + 1 < argc) {
      char* end = nullptr;
      seconds = std::strtod(argv[++i], &end);
      if (end == argv[i] || *end != '\0' || !(seconds > 0) || seconds > 600) {
        Usage("--seconds must be a number in (0, 600]");
      }
    } else {
      Usage("unknown argument " + a);
    }
  }
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) Usage(std::strerror(errno));
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
  }
  std::vector<Gaps> results(cpus.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < cpus.size(); ++i) {
    threads.emplace_back([&results, &cpus, i, seconds] { results[i] = Probe(cpus[i], seconds); });
  }
  for (auto& t : threads) t.join();
  if (json) std::cout << "{\"seconds\":" << seconds << ",\"cpus\":[";
  for (size_t i = 0; i < results.size(); ++i) {
    const Gaps& g = results[i];
    auto rate = [seconds](long n) { return static_cast<double>(n) / seconds; };
    if (json) {
      std::cout << (i ? "," : "") << "{\"cpu\":" << g.cpu
                << ",\"over_200us_per_s\":" << rate(g.over_200us)
                << ",\"over_500us_per_s\":" << rate(g.over_500us)
                << ",\"over_1ms_per_s\":" << rate(g.over_1ms)
                << ",\"over_5ms_per_s\":" << rate(g.over_5ms) << ",\"max_us\":" << g.max_us << "}";
    } else {
      std::cout << "cpu " << g.cpu << ": stalls per second over 0.2 ms " << rate(g.over_200us)
                << ", over 0.5 ms " << rate(g.over_500us) << ", over 1 ms " << rate(g.over_1ms)
                << ", over 5 ms " << rate(g.over_5ms) << "; longest " << g.max_us << " us\n";
    }
  }
  if (json) std::cout << "]}\n";
  return 0;
}
