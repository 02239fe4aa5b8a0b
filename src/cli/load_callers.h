// Copyright idgen authors.
//
// The moving parts of `idgen bench` (see load_generator.h for the engine and
// its report): the callers, small state machines driven by completion-queue
// events, and the shards that poll them. Each caller belongs to one shard and
// each shard is polled by one thread, so a caller's state is only ever touched
// by one thread and needs no lock. RunLoad merges the results after joining
// the threads.
//
// Example (what RunLoad does):
//   Run run;  // config, times, interval, remaining = number of callers
//   Shard shard;
//   std::unique_ptr<Caller> c = NewCaller(&run, stub, &shard, 0);
//   c->Start();
//   std::thread poller([&] { shard.Poll(); });
//   ... wait for run.all_done, then shard.cq.Shutdown(); poller.join();
#ifndef IDGEN_CLI_LOAD_CALLERS_H_
#define IDGEN_CLI_LOAD_CALLERS_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "idgen/internal/mutex.h"
#include "idgen/v1/idgen.grpc.pb.h"
#include "src/cli/load_generator.h"

namespace idgen::cli::load {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// Error counters: one slot per gRPC code, then responses that break the API
// contract (WRONG_COUNT, MALFORMED_ID) and codes outside gRPC's (OTHER).
inline constexpr size_t kErrorSlots = 20;
std::string ErrorName(size_t slot);
size_t ErrorSlot(int code);

std::chrono::system_clock::time_point ToSystem(TimePoint t);
std::chrono::nanoseconds Seconds(double s);

// What all callers share. Everything but the atomics is set before the
// callers start and only read afterwards.
struct Run {
  const LoadConfig* config = nullptr;
  TimePoint start, measure_from, end, hard_end;
  std::chrono::nanoseconds interval{0};  // between requests of one caller; 0 = unpaced
  std::atomic<uint64_t> stored{0};
  std::atomic<int> remaining{0};
  idgen::Mutex mu;
  idgen::CondVar all_done_cv{&mu};
  bool all_done ABSL_GUARDED_BY(mu) = false;

  // Room for up to `n` more IDs in the uniqueness check.
  size_t Claim(size_t n);
  // Each caller calls this once, when it is finished; the last sets all_done.
  void CallerDone();
};

enum Op { kCall, kStart, kWrite, kRead, kWritesDone, kFinish, kAlarm, kOps };

// When a request was meant to go (paced runs) and when it went.
struct SendTimes {
  TimePoint intended;
  TimePoint actual;
};

class Caller;

// What one polling thread owns: its completion queue, the latency histograms
// of its callers (one per thread has fewer cache misses than one per caller)
// and their timers. Only that thread touches it once it runs.
//
// Timers are a heap polled between completion-queue events rather than
// grpc::Alarms: an alarm costs a wake-up of gRPC's timer thread and a kick of
// the poller, several microseconds per paced request on a small box. They
// fire within tens of microseconds of their time (see Poll), so a paced run
// sends each request when due instead of in millisecond bursts.
struct Shard {
  grpc::CompletionQueue cq;
  // From the intended and from the actual send time; equal when unpaced.
  LatencyHistogram intended;
  LatencyHistogram service;

  struct Timer {
    TimePoint when;
    Caller* caller;
    bool operator>(const Timer& o) const { return when > o.when; }
  };
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers;

  // Dispatches completion-queue events and due timers until the queue is
  // shut down (after every caller is done, so no timer is left).
  void Poll();
};

// One sequential client; see load_generator.h.
class Caller {
 public:
  struct Tag {
    Caller* caller;
    Op op;
  };

  Caller(Run* run, v1::IdGenerator::Stub* stub, Shard* shard, int index);
  virtual ~Caller() = default;

  virtual void Start() = 0;
  virtual void OnEvent(Op op, bool ok) = 0;

  // Results, read after the polling threads are joined.
  uint64_t requests = 0;
  uint64_t ids = 0;
  uint64_t received = 0;
  std::array<uint64_t, kErrorSlots> errors{};
  OrderChecker<uint64_t> order64;
  OrderChecker<Id128> order128;
  std::vector<uint64_t> ids64;
  std::vector<Id128> ids128;

 protected:
  void* TagFor(Op op) { return &tags_[op]; }
  bool Measured(TimePoint now) const { return now >= run_->measure_from && now < run_->end; }

  // Decides when the next request may go. Unpaced: now. Paced: at the
  // caller's next due time; if that is still ahead, arms the alarm and
  // returns false. The intended send time is the due time when the caller was
  // busy then (so a slow server is not hidden by the client waiting for it,
  // "coordinated omission"), and now when the caller was free and only our
  // timer made it late.
  bool ReadyToSend(TimePoint now, SendTimes* sent);

  // Delivers a kAlarm event at `until`, or at the end of the run if sooner.
  void Sleep(TimePoint until);

  // Checks and stores the IDs of a response; counts it if in the window.
  void Record(const v1::NextIdsResponse& r, const SendTimes& sent, TimePoint now);
  void RecordOne(const v1::NextIdResponse& r, const SendTimes& sent, TimePoint now);

  Run* run_;
  v1::IdGenerator::Stub* stub_;
  Shard* shard_;
  grpc::CompletionQueue* cq_;
  TimePoint due_{};
  TimePoint free_since_{};
  bool alarm_pending_ = false;

 private:
  void Count(size_t n, const SendTimes& sent, TimePoint now);
  bool Store128(const std::string& bytes, bool store);

  std::array<Tag, kOps> tags_;
};

// A caller for run->config->mode: a StreamIds stream in stream mode, one
// unary call at a time otherwise.
std::unique_ptr<Caller> NewCaller(Run* run, v1::IdGenerator::Stub* stub, Shard* shard, int index);

}  // namespace idgen::cli::load

#endif  // IDGEN_CLI_LOAD_CALLERS_H_
