// Copyright idgen authors.
//
// See load_callers.h.
#include "src/cli/load_callers.h"
#include "src/base/grpc_code_names.h"

#include <sys/prctl.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>

namespace idgen::cli::load {

namespace {

// Error slots past the gRPC codes: responses that break the API contract.
constexpr size_t kWrongCount = 17;
constexpr size_t kMalformedId = 18;
constexpr size_t kOtherCode = 19;
static_assert(kOtherCode + 1 == kErrorSlots);

// gRPC's poller sleeps in whole milliseconds: a timer further away than
// this is waited for in the poller (woken up to a millisecond early), a
// nearer one by polling without blocking between naps of at most kMaxNap.
constexpr std::chrono::microseconds kPollerPrecision{2000};
constexpr std::chrono::microseconds kMaxNap{50};

// How long a caller pauses after a failed call or a broken stream.
constexpr std::chrono::milliseconds kErrorPause{20};

}  // namespace

std::string ErrorName(size_t slot) {
  if (slot < kGrpcCodeNames.size()) return std::string(kGrpcCodeNames[slot]);
  if (slot == kWrongCount) return "WRONG_COUNT";
  if (slot == kMalformedId) return "MALFORMED_ID";
  return "OTHER";
}

size_t ErrorSlot(int code) {
  return code >= 0 && code < static_cast<int>(kGrpcCodeNames.size()) ? static_cast<size_t>(code)
                                                                     : kOtherCode;
}

std::chrono::system_clock::time_point ToSystem(TimePoint t) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(t - Clock::now());
}

std::chrono::nanoseconds Seconds(double s) {
  return std::chrono::nanoseconds(static_cast<int64_t>(s * 1e9));
}

size_t Run::Claim(size_t n) {
  const uint64_t limit = config->check_limit;
  if (stored.load(std::memory_order_relaxed) >= limit) return 0;
  const uint64_t before = stored.fetch_add(n, std::memory_order_relaxed);
  if (before >= limit) return 0;
  return static_cast<size_t>(std::min<uint64_t>(n, limit - before));
}

void Run::CallerDone() {
  if (remaining.fetch_sub(1) == 1) {
    idgen::MutexLock lock(&mu);
    all_done = true;
    all_done_cv.SignalAll();
  }
}

Caller::Caller(Run* run, v1::IdGenerator::Stub* stub, Shard* shard, int index)
    : run_(run), stub_(stub), shard_(shard), cq_(&shard->cq) {
  for (int op = 0; op < kOps; ++op) tags_[op] = {this, static_cast<Op>(op)};
  // Stagger paced callers evenly over one interval.
  if (run->interval.count() > 0) {
    due_ = run->start + run->interval * index / run->config->concurrency;
  }
}

bool Caller::ReadyToSend(TimePoint now, SendTimes* sent) {
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

void Caller::Sleep(TimePoint until) {
  shard_->timers.push({std::min(until, run_->end), this});
  alarm_pending_ = true;
}

void Caller::Record(const v1::NextIdsResponse& r, const SendTimes& sent, TimePoint now) {
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

void Caller::RecordOne(const v1::NextIdResponse& r, const SendTimes& sent, TimePoint now) {
  ++received;
  if (r.id128().empty()) {
    order64.Observe(r.id());
    if (run_->Claim(1) == 1) ids64.push_back(r.id());
  } else if (!Store128(r.id128(), run_->Claim(1) == 1)) {
    return;
  }
  if (Measured(now)) Count(1, sent, now);
}

void Caller::Count(size_t n, const SendTimes& sent, TimePoint now) {
  ++requests;
  ids += n;
  auto ns = [now](TimePoint from) {
    return static_cast<uint64_t>(std::max<int64_t>(
        0, std::chrono::duration_cast<std::chrono::nanoseconds>(now - from).count()));
  };
  shard_->intended.Record(ns(sent.intended));
  shard_->service.Record(ns(sent.actual));
}

bool Caller::Store128(const std::string& bytes, bool store) {
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

namespace {

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
    if (!run_->config->authorization.empty()) {
      ctx_->AddMetadata("authorization", run_->config->authorization);
    }
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
    if (!run_->config->authorization.empty()) {
      ctx_->AddMetadata("authorization", run_->config->authorization);
    }
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

}  // namespace

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

std::unique_ptr<Caller> NewCaller(Run* run, v1::IdGenerator::Stub* stub, Shard* shard, int index) {
  if (run->config->mode == BenchMode::kStream) {
    return std::make_unique<StreamCaller>(run, stub, shard, index);
  }
  return std::make_unique<UnaryCaller>(run, stub, shard, index);
}

}  // namespace idgen::cli::load
