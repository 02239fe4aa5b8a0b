// Copyright idgen authors.
//
// See load_generator.h. The callers are small state machines driven by
// completion-queue events; each caller belongs to one queue, and each queue is
// polled by one thread, so a caller's state is only ever touched by one thread
// and needs no lock. Results are merged after the threads are joined.
#include "src/cli/load_generator.h"

#include <sys/prctl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <queue>
#include <thread>
#include <utility>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "idgen/v1/idgen.grpc.pb.h"

namespace idgen::cli {

// ---------------------------------------------------------------- pure parts

absl::StatusOr<BenchMode> ParseBenchMode(std::string_view name) {
  if (name == "unary") return BenchMode::kUnary;
  if (name == "batch") return BenchMode::kBatch;
  if (name == "stream") return BenchMode::kStream;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown --mode \"", std::string(name), "\"; use unary, batch or stream"));
}

std::string_view BenchModeName(BenchMode mode) {
  switch (mode) {
    case BenchMode::kUnary:
      return "unary";
    case BenchMode::kBatch:
      return "batch";
    case BenchMode::kStream:
      return "stream";
  }
  return "?";
}

LatencyHistogram::LatencyHistogram() : buckets_(kBuckets, 0) {}

size_t LatencyHistogram::BucketOf(uint64_t value) {
  if (value < 128) return static_cast<size_t>(value);
  const int e = 63 - std::countl_zero(value);  // 7..63
  const int shift = e - 6;
  const uint64_t mantissa = value >> shift;  // 64..127
  return 128 + static_cast<size_t>(e - 7) * 64 + static_cast<size_t>(mantissa - 64);
}

uint64_t LatencyHistogram::BucketLow(size_t bucket) {
  if (bucket < 128) return bucket;
  const size_t e = (bucket - 128) / 64 + 7;
  const uint64_t mantissa = (bucket - 128) % 64 + 64;
  return mantissa << (e - 6);
}

uint64_t LatencyHistogram::BucketHigh(size_t bucket) {
  if (bucket < 128) return bucket;
  const size_t e = (bucket - 128) / 64 + 7;
  return BucketLow(bucket) + ((uint64_t{1} << (e - 6)) - 1);
}

void LatencyHistogram::Record(uint64_t value) {
  ++buckets_[BucketOf(value)];
  ++count_;
  max_ = std::max(max_, value);
  sum_ += value;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double LatencyHistogram::Mean() const {
  return count_ == 0 ? 0 : static_cast<double>(sum_) / static_cast<double>(count_);
}

uint64_t LatencyHistogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      const uint64_t low = BucketLow(i);
      const uint64_t mid = low + (BucketHigh(i) - low) / 2;
      return std::min(mid, max_);
    }
  }
  return max_;
}

namespace {

template <typename T>
uint64_t CountDuplicatesImpl(std::vector<std::vector<T>>& sequences) {
  struct Cursor {
    const T* at;
    const T* end;
  };
  std::vector<Cursor> heap;
  for (std::vector<T>& s : sequences) {
    if (!std::is_sorted(s.begin(), s.end())) std::sort(s.begin(), s.end());
    if (!s.empty()) heap.push_back({s.data(), s.data() + s.size()});
  }
  // Min-heap on the value under each cursor.
  auto later = [](const Cursor& a, const Cursor& b) { return *b.at < *a.at; };
  std::make_heap(heap.begin(), heap.end(), later);
  uint64_t duplicates = 0;
  const T* last = nullptr;
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    Cursor& c = heap.back();
    // Merged output never decreases, so "not less" means "equal".
    if (last != nullptr && !(*last < *c.at)) ++duplicates;
    last = c.at;
    if (++c.at == c.end) {
      heap.pop_back();
    } else {
      std::push_heap(heap.begin(), heap.end(), later);
    }
  }
  return duplicates;
}

}  // namespace

uint64_t CountDuplicates(std::vector<std::vector<uint64_t>>& sequences) {
  return CountDuplicatesImpl(sequences);
}
uint64_t CountDuplicates(std::vector<std::vector<Id128>>& sequences) {
  return CountDuplicatesImpl(sequences);
}

absl::Status ValidateTarget(std::string_view target) {
  const std::string t(target);
  auto bad = [&t](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("bad --target \"", t, "\": ", std::string(why),
                                                   " (want HOST:PORT, [V6]:PORT or a gRPC URI "
                                                   "like dns:///HOST:PORT or unix:PATH)"));
  };
  if (t.empty()) return bad("empty");
  for (std::string_view scheme : {"dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:"}) {
    if (target.substr(0, scheme.size()) == scheme) {
      return target.size() > scheme.size() ? absl::OkStatus() : bad("nothing after the scheme");
    }
  }
  const size_t colon = t.rfind(':');
  if (colon == std::string::npos) return bad("no port");
  std::string host = t.substr(0, colon);
  const std::string port = t.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return bad("IPv6 addresses need brackets");
  }
  if (host.empty()) return bad("no host");
  if (host.find_first_of(" \t/") != std::string::npos) return bad("bad host");
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return bad("port is not a number");
  }
  const int p = std::stoi(port);
  if (p < 1 || p > 65535) return bad("port out of range 1..65535");
  return absl::OkStatus();
}

absl::Status ValidateLoadConfig(const LoadConfig& c) {
  if (absl::Status s = ValidateTarget(c.target); !s.ok()) return s;
  auto bad = [](std::string_view msg) { return absl::InvalidArgumentError(std::string(msg)); };
  if (c.count == 0) return bad("--count must be at least 1");
  if (c.count > 1'000'000) return bad("--count must be at most 1000000");
  if (c.mode == BenchMode::kUnary && c.count != 1) {
    return bad("--mode unary calls NextId, one ID per call; use --mode batch for --count > 1");
  }
  if (c.concurrency < 1) return bad("--concurrency must be at least 1");
  if (c.concurrency > 10000) return bad("--concurrency must be at most 10000");
  if (c.pipeline < 1 || c.pipeline > 1024) return bad("--pipeline must be in 1..1024");
  if (c.pipeline > 1 && c.mode != BenchMode::kStream) {
    return bad("--pipeline applies to --mode stream only (unary callers have one call in flight)");
  }
  if (!(c.duration_s > 0) || c.duration_s > kMaxBenchSeconds) {
    return bad("--duration must be more than 0 and at most 3600 seconds");
  }
  if (!(c.warmup_s >= 0) || c.warmup_s > kMaxBenchSeconds) {
    return bad("--warmup must be in 0..3600 seconds");
  }
  if (!(c.rate >= 0) || std::isinf(c.rate)) {
    return bad("--rate must be 0 (as fast as possible) or a positive number of requests/s");
  }
  if (c.threads < 0 || c.threads > 256) return bad("--threads must be in 0..256 (0 = one per CPU)");
  if (c.connections < 1 || c.connections > c.concurrency) {
    return bad("--connections must be in 1..--concurrency");
  }
  if (!(c.timeout_s > 0) || c.timeout_s > 600) return bad("--timeout must be in (0, 600] seconds");
  return absl::OkStatus();
}

// ---------------------------------------------------------------- the engine

namespace {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

constexpr std::array<std::string_view, 17> kCodeNames = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};
// Error slots past the gRPC codes: responses that break the API contract.
constexpr size_t kWrongCount = 17;
constexpr size_t kMalformedId = 18;
constexpr size_t kOtherCode = 19;
constexpr size_t kErrorSlots = 20;

std::string ErrorName(size_t slot) {
  if (slot < kCodeNames.size()) return std::string(kCodeNames[slot]);
  if (slot == kWrongCount) return "WRONG_COUNT";
  if (slot == kMalformedId) return "MALFORMED_ID";
  return "OTHER";
}

size_t ErrorSlot(int code) {
  return code >= 0 && code < static_cast<int>(kCodeNames.size()) ? static_cast<size_t>(code)
                                                                 : kOtherCode;
}

std::chrono::system_clock::time_point ToSystem(TimePoint t) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(t - Clock::now());
}

std::chrono::nanoseconds Seconds(double s) {
  return std::chrono::nanoseconds(static_cast<int64_t>(s * 1e9));
}

// What all callers share. Everything but the atomics is set before the
// callers start and only read afterwards.
struct Run {
  const LoadConfig* config = nullptr;
  TimePoint start, measure_from, end, hard_end;
  std::chrono::nanoseconds interval{0};  // between requests of one caller; 0 = unpaced
  std::atomic<uint64_t> stored{0};
  std::atomic<int> remaining{0};
  absl::Mutex mu;
  bool all_done ABSL_GUARDED_BY(mu) = false;

  // Room for up to `n` more IDs in the uniqueness check.
  size_t Claim(size_t n) {
    const uint64_t limit = config->check_limit;
    if (stored.load(std::memory_order_relaxed) >= limit) return 0;
    const uint64_t before = stored.fetch_add(n, std::memory_order_relaxed);
    if (before >= limit) return 0;
    return static_cast<size_t>(std::min<uint64_t>(n, limit - before));
  }
  void CallerDone() {
    if (remaining.fetch_sub(1) == 1) {
      absl::MutexLock lock(&mu);
      all_done = true;
    }
  }
};

// gRPC's poller sleeps in whole milliseconds: a timer further away than
// this is waited for in the poller (woken up to a millisecond early), a
// nearer one by polling without blocking between naps of at most kMaxNap.
constexpr std::chrono::microseconds kPollerPrecision{2000};
constexpr std::chrono::microseconds kMaxNap{50};

// How long a caller pauses after a failed call or a broken stream.
constexpr std::chrono::milliseconds kErrorPause{20};

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

  void Poll();
};

// One sequential client; see load_generator.h.
class Caller {
 public:
  struct Tag {
    Caller* caller;
    Op op;
  };

  Caller(Run* run, v1::IdGenerator::Stub* stub, Shard* shard, int index)
      : run_(run), stub_(stub), shard_(shard), cq_(&shard->cq) {
    for (int op = 0; op < kOps; ++op) tags_[op] = {this, static_cast<Op>(op)};
    // Stagger paced callers evenly over one interval.
    if (run->interval.count() > 0) {
      due_ = run->start + run->interval * index / run->config->concurrency;
    }
  }
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
  bool ReadyToSend(TimePoint now, SendTimes* sent) {
    sent->actual = now;
    if (run_->interval.count() == 0) {
      sent->intended = now;
      return true;
    }
    if (now < due_) {
      Sleep(due_);
      return false;
    }
    sent->intended = free_since_ <= due_ ? now : due_;
    due_ += run_->interval;
    return true;
  }

  // Delivers a kAlarm event at `until`, or at the end of the run if sooner.
  void Sleep(TimePoint until) {
    shard_->timers.push({std::min(until, run_->end), this});
    alarm_pending_ = true;
  }

  void Record(const v1::NextIdsResponse& r, const SendTimes& sent, TimePoint now) {
    if (r.error_code() != 0) {
      ++errors[ErrorSlot(r.error_code())];
      return;
    }
    const size_t n = static_cast<size_t>(r.ids_size()) + static_cast<size_t>(r.ids128_size());
    received += n;
    if (r.ids_size() > 0) {
      for (uint64_t id : r.ids()) order64.Observe(id);
      const size_t room = run_->Claim(static_cast<size_t>(r.ids_size()));
      ids64.insert(ids64.end(), r.ids().begin(), r.ids().begin() + static_cast<int>(room));
    }
    if (r.ids128_size() > 0) {
      size_t room = run_->Claim(static_cast<size_t>(r.ids128_size()));
      for (const std::string& bytes : r.ids128()) {
        if (!Store128(bytes, room > 0)) continue;
        if (room > 0) --room;
      }
    }
    if (n != run_->config->count) {
      ++errors[kWrongCount];
      return;
    }
    if (Measured(now)) Count(n, sent, now);
  }

  void RecordOne(const v1::NextIdResponse& r, const SendTimes& sent, TimePoint now) {
    ++received;
    if (r.id128().empty()) {
      order64.Observe(r.id());
      if (run_->Claim(1) == 1) ids64.push_back(r.id());
    } else if (!Store128(r.id128(), run_->Claim(1) == 1)) {
      return;
    }
    if (Measured(now)) Count(1, sent, now);
  }

  void Count(size_t n, const SendTimes& sent, TimePoint now) {
    ++requests;
    ids += n;
    auto ns = [now](TimePoint from) {
      return static_cast<uint64_t>(std::max<int64_t>(
          0, std::chrono::duration_cast<std::chrono::nanoseconds>(now - from).count()));
    };
    shard_->intended.Record(ns(sent.intended));
    shard_->service.Record(ns(sent.actual));
  }

  Run* run_;
  v1::IdGenerator::Stub* stub_;
  Shard* shard_;
  grpc::CompletionQueue* cq_;
  TimePoint due_{};
  TimePoint free_since_{};
  bool alarm_pending_ = false;

 private:
  bool Store128(const std::string& bytes, bool store) {
    if (bytes.size() != 16) {
      ++errors[kMalformedId];
      return false;
    }
    Id128 id;
    std::memcpy(id.data(), bytes.data(), 16);
    order128.Observe(id);
    if (store) ids128.push_back(id);
    return true;
  }

  std::array<Tag, kOps> tags_;
};

// unary (NextId) and batch (NextIds): one call in flight at a time.
class UnaryCaller final : public Caller {
 public:
  UnaryCaller(Run* run, v1::IdGenerator::Stub* stub, Shard* shard, int index)
      : Caller(run, stub, shard, index), one_(run->config->mode == BenchMode::kUnary) {
    req1_.set_namespace_(run->config->ns);
    req_.set_namespace_(run->config->ns);
    req_.set_count(run->config->count);
  }

  void Start() override {
    free_since_ = Clock::now();
    Issue();
  }

  void OnEvent(Op op, bool /*ok*/) override {
    if (op == kAlarm) {
      alarm_pending_ = false;
      Issue();
      return;
    }
    const TimePoint now = Clock::now();
    free_since_ = now;
    if (!status_.ok()) {
      ++errors[ErrorSlot(status_.error_code())];
      // A node that is down fails calls in microseconds: pause instead of
      // counting millions of errors.
      backoff_until_ = now + kErrorPause;
    } else if (one_) {
      RecordOne(resp1_, sent_, now);
    } else {
      Record(resp_, sent_, now);
    }
    Issue();
  }

 private:
  void Issue() {
    const TimePoint now = Clock::now();
    if (now >= run_->end) {
      run_->CallerDone();
      return;
    }
    if (now < backoff_until_) {
      Sleep(backoff_until_);
      return;
    }
    if (!ReadyToSend(now, &sent_)) return;
    // The readers live in the call's arena: drop them before the context.
    reader1_.reset();
    reader_.reset();
    ctx_.emplace();
    ctx_->set_deadline(std::chrono::system_clock::now() + Seconds(run_->config->timeout_s));
    if (one_) {
      reader1_ = stub_->AsyncNextId(&*ctx_, req1_, cq_);
      reader1_->Finish(&resp1_, &status_, TagFor(kCall));
    } else {
      reader_ = stub_->AsyncNextIds(&*ctx_, req_, cq_);
      reader_->Finish(&resp_, &status_, TagFor(kCall));
    }
  }

  const bool one_;
  v1::NextIdRequest req1_;
  v1::NextIdsRequest req_;
  v1::NextIdResponse resp1_;
  v1::NextIdsResponse resp_;
  grpc::Status status_;
  SendTimes sent_{};
  TimePoint backoff_until_{};
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::NextIdResponse>> reader1_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::NextIdsResponse>> reader_;
  std::optional<grpc::ClientContext> ctx_;
};

// stream: one StreamIds stream, up to `pipeline` requests outstanding. At
// most one Write and one Read are pending at a time, as gRPC requires. A
// stream that breaks is counted as an error and reopened after a pause.
class StreamCaller final : public Caller {
 public:
  StreamCaller(Run* run, v1::IdGenerator::Stub* stub, Shard* shard, int index)
      : Caller(run, stub, shard, index), pipeline_(run->config->pipeline) {
    req_.set_namespace_(run->config->ns);
    req_.set_count(run->config->count);
  }

  void Start() override { Open(); }

  void OnEvent(Op op, bool ok) override {
    const TimePoint now = Clock::now();
    switch (op) {
      case kStart:
        starting_ = false;
        if (!ok) broken_ = true;
        break;
      case kAlarm:
        alarm_pending_ = false;
        if (reopen_) {
          reopen_ = false;
          if (now >= run_->end) {
            run_->CallerDone();
          } else {
            Open();
          }
          return;
        }
        break;
      case kWrite:
        writing_ = false;
        if (!ok) broken_ = true;
        break;
      case kRead:
        reading_ = false;
        if (!ok) {
          broken_ = true;
          break;
        }
        --in_flight_;
        Record(resp_, starts_.front(), now);
        starts_.pop_front();
        if (in_flight_ > 0) Read();
        break;
      case kWritesDone:
        writes_done_pending_ = false;
        break;
      case kFinish:
        OnFinish(now);
        return;
      default:
        break;
    }
    Pump(now);
  }

 private:
  void Open() {
    stream_.reset();
    ctx_.emplace();
    ctx_->set_deadline(ToSystem(run_->hard_end));
    in_flight_ = 0;
    starts_.clear();
    writing_ = reading_ = broken_ = closing_ = false;
    writes_done_sent_ = writes_done_pending_ = finishing_ = false;
    was_able_ = false;
    starting_ = true;
    stream_ = stub_->AsyncStreamIds(&*ctx_, cq_, TagFor(kStart));
  }

  void Finish() {
    finishing_ = true;
    stream_->Finish(&status_, TagFor(kFinish));
  }

  void Read() {
    reading_ = true;
    stream_->Read(&resp_, TagFor(kRead));
  }

  // Moves the stream forward after any event: sends what may be sent,
  // closes at the end of the run, finishes a broken stream.
  void Pump(TimePoint now) {
    if (starting_ || finishing_) return;
    const bool busy = writing_ || reading_ || alarm_pending_ || writes_done_pending_;
    if (broken_) {
      if (!busy) Finish();
      return;
    }
    if (!closing_ && now >= run_->end) closing_ = true;
    if (closing_) {
      if (busy || in_flight_ > 0) return;
      if (!writes_done_sent_) {
        writes_done_sent_ = writes_done_pending_ = true;
        stream_->WritesDone(TagFor(kWritesDone));
      } else {
        Finish();
      }
      return;
    }
    const bool able = !writing_ && in_flight_ < pipeline_;
    if (!able) {
      was_able_ = false;
      return;
    }
    if (!was_able_) {
      free_since_ = now;
      was_able_ = true;
    }
    if (alarm_pending_) return;
    SendTimes sent;
    if (!ReadyToSend(now, &sent)) return;
    starts_.push_back(sent);
    ++in_flight_;
    writing_ = true;
    was_able_ = false;
    stream_->Write(req_, TagFor(kWrite));
    if (!reading_) Read();
  }

  void OnFinish(TimePoint now) {
    const bool clean = closing_ && !broken_ && status_.ok();
    if (!clean) {
      // The stream failed: count it once, plus every request it swallowed.
      const int code = status_.ok() ? grpc::StatusCode::UNKNOWN : status_.error_code();
      errors[ErrorSlot(code)] += std::max<uint64_t>(1, static_cast<uint64_t>(in_flight_));
    }
    if (!clean && now < run_->end) {
      // Reopen shortly, so a node that went away is not hammered in a loop.
      reopen_ = true;
      Sleep(now + kErrorPause);
      return;
    }
    run_->CallerDone();
  }

  const int pipeline_;
  v1::NextIdsRequest req_;
  v1::NextIdsResponse resp_;
  grpc::Status status_;
  std::optional<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientAsyncReaderWriter<v1::NextIdsRequest, v1::NextIdsResponse>> stream_;
  std::deque<SendTimes> starts_;  // of each outstanding request, oldest first
  int in_flight_ = 0;
  bool starting_ = false;
  bool writing_ = false;
  bool reading_ = false;
  bool broken_ = false;
  bool closing_ = false;
  bool writes_done_sent_ = false;
  bool writes_done_pending_ = false;
  bool finishing_ = false;
  bool reopen_ = false;
  bool was_able_ = false;
};

// Dispatches completion-queue events and due timers until the queue is shut
// down (after every caller is done, so no timer is left).
//
// gRPC 1.51 polls with a millisecond timeout (a deadline less than one away
// returns at once), so a timer due within kPollerPrecision is met by polling
// without blocking and napping in between, at most kMaxNap so that responses
// are not left waiting: a timer fires at most a nap's timer slack late, and a
// response is picked up at most kMaxNap late (counted in its latency).
void Shard::Poll() {
  // The kernel may stretch a nap by the thread's timer slack (50 us by default).
  prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
  void* tag = nullptr;
  bool ok = false;
  for (;;) {
    grpc::CompletionQueue::NextStatus status;
    if (timers.empty()) {
      status =
          cq.Next(&tag, &ok) ? grpc::CompletionQueue::GOT_EVENT : grpc::CompletionQueue::SHUTDOWN;
    } else if (const TimePoint now = Clock::now(); timers.top().when - now >= kPollerPrecision) {
      status = cq.AsyncNext(&tag, &ok, ToSystem(timers.top().when - kPollerPrecision / 2));
    } else {
      status = cq.AsyncNext(&tag, &ok, std::chrono::system_clock::now());
      if (status == grpc::CompletionQueue::TIMEOUT && timers.top().when > now) {
        std::this_thread::sleep_for(std::min<Clock::duration>(timers.top().when - now, kMaxNap));
      }
    }
    if (status == grpc::CompletionQueue::SHUTDOWN) return;
    if (status == grpc::CompletionQueue::GOT_EVENT) {
      auto* t = static_cast<Caller::Tag*>(tag);
      t->caller->OnEvent(t->op, ok);
    }
    while (!timers.empty() && timers.top().when <= Clock::now()) {
      Caller* c = timers.top().caller;
      timers.pop();
      c->OnEvent(kAlarm, true);
    }
  }
}

// A channel with its own TCP connection: channels sharing the global
// subchannel pool would share one.
std::shared_ptr<grpc::Channel> NewChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // Retries are not wanted here (every error is counted) and their filter
  // costs per call.
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

// One request like the run's, so that a bad namespace or count fails the
// command at once instead of as millions of errors.
absl::Status Probe(v1::IdGenerator::Stub& stub, const LoadConfig& c) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + Seconds(c.timeout_s));
  grpc::Status s;
  if (c.mode == BenchMode::kUnary) {
    v1::NextIdRequest req;
    req.set_namespace_(c.ns);
    v1::NextIdResponse resp;
    s = stub.NextId(&ctx, req, &resp);
  } else {
    v1::NextIdsRequest req;
    req.set_namespace_(c.ns);
    req.set_count(c.count);
    v1::NextIdsResponse resp;
    s = stub.NextIds(&ctx, req, &resp);
  }
  if (s.ok()) return absl::OkStatus();
  const std::string msg =
      absl::StrCat("the node rejected a probe request (", ErrorName(ErrorSlot(s.error_code())),
                   "): ", s.error_message());
  switch (s.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::UNIMPLEMENTED:
      return absl::InvalidArgumentError(msg);
    default:
      return absl::UnavailableError(msg);
  }
}

}  // namespace

absl::StatusOr<LoadReport> RunLoad(const LoadConfig& config) {
  if (absl::Status s = ValidateLoadConfig(config); !s.ok()) return s;
  const int threads = config.threads > 0
                          ? config.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const int channel_count = config.connections;

  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<v1::IdGenerator::Stub>> stubs;
  const auto connect_deadline = std::chrono::system_clock::now() + Seconds(config.timeout_s);
  for (int i = 0; i < channel_count; ++i) {
    channels.push_back(NewChannel(config.target));
    stubs.push_back(v1::IdGenerator::NewStub(channels.back()));
  }
  for (auto& ch : channels) {
    if (!ch->WaitForConnected(connect_deadline)) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", config.target, " within ", config.timeout_s, " s"));
    }
  }
  if (absl::Status s = Probe(*stubs[0], config); !s.ok()) return s;

  Run run;
  run.config = &config;
  run.start = Clock::now();
  run.measure_from = run.start + Seconds(config.warmup_s);
  run.end = run.measure_from + Seconds(config.duration_s);
  run.hard_end = run.end + Seconds(config.timeout_s);
  if (config.rate > 0) {
    run.interval =
        std::chrono::nanoseconds(static_cast<int64_t>(1e9 * config.concurrency / config.rate));
  }
  run.remaining = config.concurrency;

  std::vector<std::unique_ptr<Shard>> shards;
  for (int i = 0; i < threads; ++i) shards.push_back(std::make_unique<Shard>());
  std::vector<std::unique_ptr<Caller>> callers;
  for (int i = 0; i < config.concurrency; ++i) {
    v1::IdGenerator::Stub* stub = stubs[static_cast<size_t>(i % channel_count)].get();
    Shard* shard = shards[static_cast<size_t>(i % threads)].get();
    if (config.mode == BenchMode::kStream) {
      callers.push_back(std::make_unique<StreamCaller>(&run, stub, shard, i));
    } else {
      callers.push_back(std::make_unique<UnaryCaller>(&run, stub, shard, i));
    }
  }
  // Start the callers before the pollers exist; thread creation orders the
  // callers' writes before the pollers' reads.
  for (auto& c : callers) c->Start();
  std::vector<std::thread> pollers;
  for (auto& shard : shards) pollers.emplace_back([s = shard.get()] { s->Poll(); });
  {
    absl::MutexLock lock(&run.mu);
    run.mu.Await(absl::Condition(&run.all_done));
  }
  for (auto& shard : shards) shard->cq.Shutdown();
  for (auto& t : pollers) t.join();

  LoadReport report;
  report.duration_s = config.duration_s;
  report.channels = channel_count;
  report.threads = threads;
  LatencyHistogram latency, service;
  for (const auto& shard : shards) {
    latency.Merge(shard->intended);
    service.Merge(shard->service);
  }
  std::array<uint64_t, kErrorSlots> errors{};
  std::vector<std::vector<uint64_t>> ids64;
  std::vector<std::vector<Id128>> ids128;
  for (auto& c : callers) {
    report.requests += c->requests;
    report.ids += c->ids;
    report.ids_received += c->received;
    report.order_violations += c->order64.violations() + c->order128.violations();
    for (size_t i = 0; i < kErrorSlots; ++i) errors[i] += c->errors[i];
    report.ids_checked += c->ids64.size() + c->ids128.size();
    ids64.push_back(std::move(c->ids64));
    ids128.push_back(std::move(c->ids128));
  }
  callers.clear();
  report.duplicates = CountDuplicates(ids64) + CountDuplicates(ids128);
  for (size_t i = 0; i < kErrorSlots; ++i) {
    if (errors[i] == 0) continue;
    report.errors[ErrorName(i)] = errors[i];
    report.error_total += errors[i];
  }
  report.p50_us = static_cast<double>(latency.Quantile(0.5)) / 1e3;
  report.p99_us = static_cast<double>(latency.Quantile(0.99)) / 1e3;
  report.p999_us = static_cast<double>(latency.Quantile(0.999)) / 1e3;
  report.max_us = static_cast<double>(latency.max()) / 1e3;
  report.mean_us = latency.Mean() / 1e3;
  report.service_p50_us = static_cast<double>(service.Quantile(0.5)) / 1e3;
  report.service_p99_us = static_cast<double>(service.Quantile(0.99)) / 1e3;
  report.service_p999_us = static_cast<double>(service.Quantile(0.999)) / 1e3;
  return report;
}

}  // namespace idgen::cli
