// Copyright idgen authors.
#include "src/segment/segment_buffer.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace idgen::segment {
namespace {

// Waits are sliced so that a loader on a FakeClock notices the clock move
// (condition variables sleep on real time).
constexpr absl::Duration kSlice = absl::Milliseconds(20);
// The rate of IDs handed out: samples a second apart, over about a minute.
constexpr absl::Duration kRateStep = absl::Seconds(1);
constexpr absl::Duration kRateWindow = absl::Seconds(60);

}  // namespace

absl::StatusOr<std::unique_ptr<SegmentBuffer>> SegmentBuffer::Create(SegmentBufferOptions options,
                                                                     SegmentStore* store,
                                                                     Clock* clock,
                                                                     RandomSource* random) {
  const auto bad = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat("segment ", options.counter, ": ", what));
  };
  if (options.counter.empty()) return bad("a counter name is required");
  if (options.step < 1 || options.max_step < options.step) {
    return bad("need 1 <= step <= max_step");
  }
  if (!(options.load_at > 0.0 && options.load_at < 1.0)) return bad("load_at must be in (0, 1)");
  if (options.max_value < 1 || options.max_value > kMaxSegmentValue ||
      options.start > options.max_value) {
    return bad("need start <= max_value <= 2^63-2");
  }
  if (options.backoff_min <= absl::ZeroDuration() || options.backoff_max < options.backoff_min ||
      options.wait_timeout < absl::ZeroDuration()) {
    return bad("need 0 < backoff_min <= backoff_max and wait_timeout >= 0");
  }
  std::unique_ptr<SegmentBuffer> buf(new SegmentBuffer(std::move(options), store, clock, random));
  buf->loader_ = std::thread([b = buf.get()] { b->LoaderLoop(); });
  return buf;
}

SegmentBuffer::SegmentBuffer(SegmentBufferOptions options, SegmentStore* store, Clock* clock,
                             RandomSource* random)
    : options_(std::move(options)),
      store_(store),
      store_name_(store->name()),
      clock_(clock),
      policy_{options_.step, options_.max_step, options_.grow_below, options_.shrink_above},
      retry_at_(clock->MonotonicNow()),
      step_(options_.step),
      backoff_(options_.backoff_min, options_.backoff_max, random),
      last_end_(options_.start) {}

SegmentBuffer::~SegmentBuffer() { StopLoader(); }

void SegmentBuffer::StopLoader() {
  {
    idgen::MutexLock lock(&mu_);
    closing_ = true;
  }
  cv_.SignalAll();
  if (loader_.joinable()) loader_.join();
}

uint64_t SegmentBuffer::Buffered() const {
  return current_.size() + (next_.has_value() ? next_->size() : 0);
}

bool SegmentBuffer::NeedLoad() const {
  if (exhausted_ || next_.has_value()) return false;
  return current_.size() == 0 || current_.first >= load_mark_;
}

void SegmentBuffer::Install(SegmentRange r) {
  last_end_ = r.end;
  if (current_.size() == 0) {
    current_ = r;
    // ceil, so a load_at of 0.1 on a 1-ID segment still waits for its use.
    const auto used =
        static_cast<uint64_t>(std::ceil(static_cast<double>(r.size()) * options_.load_at));
    load_mark_ = r.first + std::max<uint64_t>(used, 1);
  } else {
    next_ = r;
  }
}

void SegmentBuffer::LoaderLoop() {
  for (;;) {
    uint64_t step = 0;
    absl::Duration started;
    {
      idgen::MutexLock lock(&mu_);
      for (;;) {
        if (closing_) return;
        if (!NeedLoad()) {
          (void)cv_.WaitFor(absl::Milliseconds(200));
          continue;
        }
        started = clock_->MonotonicNow();
        if (started < retry_at_) {
          (void)cv_.WaitFor(std::min(retry_at_ - started, kSlice));
          continue;
        }
        break;
      }
      // Leaf keeps the configured step for the first two leases: the second
      // follows the first at once, which says nothing about traffic.
      if (last_lease_at_.has_value() && stats_.leases_ok >= 2) {
        step_ = AdaptStep(step_, started - *last_lease_at_, policy_);
      }
      step = step_;
      loading_ = true;
    }
    absl::StatusOr<SegmentRange> r =
        store_->Lease(options_.counter, options_.start, step, options_.max_value);
    if (options_.observe_lease) {
      options_.observe_lease(clock_->MonotonicNow() - started,
                             r.ok() || absl::IsFailedPrecondition(r.status()));
    }
    {
      idgen::MutexLock lock(&mu_);
      loading_ = false;
      if (r.ok()) {
        Install(*r);
        last_lease_at_ = started;
        last_error_ = absl::OkStatus();
        backoff_.Reset();
        ++stats_.leases_ok;
      } else if (absl::IsFailedPrecondition(r.status())) {
        exhausted_ = true;
      } else {
        last_error_ = r.status();
        retry_at_ = clock_->MonotonicNow() + backoff_.NextDelay();
        ++stats_.leases_failed;
      }
    }
    cv_.SignalAll();
  }
}

absl::Status SegmentBuffer::EmptyError(absl::Duration deadline) const {
  if (closing_) {
    return absl::UnavailableError(
        absl::StrCat("segment namespace ", options_.counter, " is shutting down"));
  }
  if (exhausted_) {
    return absl::FailedPreconditionError(
        absl::StrCat("segment namespace ", options_.counter, " has reached its max_value ",
                     options_.max_value, "; no more IDs (raise max_value or use a new namespace)"));
  }
  const absl::Duration now = clock_->MonotonicNow();
  if (!last_error_.ok()) {
    // The store is failing: answer at once rather than hold the caller's
    // thread (a gRPC queue thread) for a lease that will probably fail too.
    const absl::Duration wait = retry_at_ - now;
    return absl::UnavailableError(
        absl::StrCat("segment namespace ", options_.counter, ": no IDs buffered and the ",
                     store_name_, " store cannot lease (", last_error_.message(), "); ",
                     loading_ || wait <= absl::ZeroDuration()
                         ? std::string("retrying now")
                         : absl::StrCat("retrying in ", absl::ToInt64Milliseconds(wait), " ms")));
  }
  if (now >= deadline) {
    return absl::UnavailableError(
        absl::StrCat("segment namespace ", options_.counter, ": no IDs buffered; the ", store_name_,
                     " store did not answer within ", absl::FormatDuration(options_.wait_timeout)));
  }
  return absl::OkStatus();
}

absl::Status SegmentBuffer::Take(absl::Span<uint64_t> out) {
  if (out.empty()) return absl::OkStatus();
  const absl::Duration deadline = clock_->MonotonicNow() + options_.wait_timeout;
  idgen::MutexLock lock(&mu_);
  if (closing_) return EmptyError(deadline);
  size_t filled = 0;
  // Ranges never share an end: while current_ ends here, everything this
  // call took came from that one segment, contiguously.
  const uint64_t origin_end = current_.end;
  bool counted_wait = false;
  while (filled < out.size()) {
    if (closing_) break;  // Close() during a wait: give the taken IDs up
    if (current_.size() > 0) {
      const uint64_t k = std::min<uint64_t>(current_.size(), out.size() - filled);
      for (uint64_t i = 0; i < k; ++i) out[filled + i] = current_.first + i;
      current_.first += k;
      filled += k;
      if (NeedLoad()) cv_.SignalAll();
      continue;
    }
    if (next_.has_value()) {
      const SegmentRange n = *next_;
      next_.reset();
      Install(n);
      cv_.SignalAll();
      continue;
    }
    if (!counted_wait) {
      ++stats_.empty_waits;
      counted_wait = true;
    }
    absl::Status s = EmptyError(deadline);
    if (!s.ok()) {
      // Nothing handed out: put back what this call took, if it came from
      // the current segment alone (it then still ends at the same place).
      if (current_.end == origin_end) current_.first -= filled;
      return s;
    }
    cv_.SignalAll();  // the loader may be idle in a wait slice
    (void)cv_.WaitFor(kSlice);
  }
  if (filled < out.size()) {
    if (current_.end == origin_end) current_.first -= filled;
    return EmptyError(deadline);
  }
  stats_.handed_out += filled;
  RecordRate(clock_->MonotonicNow());
  return absl::OkStatus();
}

void SegmentBuffer::RecordRate(absl::Duration now) {
  if (!rate_samples_.empty() && now - rate_samples_.back().at < kRateStep) return;
  rate_samples_.push_back({now, stats_.handed_out});
  // Keep about a minute; after a longer pause the window starts afresh.
  while (rate_samples_.size() > 1 && now - rate_samples_.front().at > kRateWindow) {
    rate_samples_.pop_front();
  }
}

bool SegmentBuffer::WouldWait(uint64_t n) const {
  idgen::MutexLock lock(&mu_);
  if (Buffered() >= n) return false;
  return !closing_ && !exhausted_ && last_error_.ok();
}

absl::StatusOr<uint64_t> SegmentBuffer::TakeOne() {
  uint64_t id = 0;
  absl::Status s = Take(absl::MakeSpan(&id, 1));
  if (!s.ok()) return s;
  return id;
}

absl::Status SegmentBuffer::Close() {
  StopLoader();
  std::optional<SegmentRange> next;
  SegmentRange current;
  {
    idgen::MutexLock lock(&mu_);
    if (closed_) return absl::OkStatus();
    closed_ = true;
    next = next_;
    current = current_;
    next_.reset();
    current_ = {};
  }
  // The latest lease first: the current segment's tail can only follow it
  // back once the counter stands at the current segment's end again.
  absl::Status result;
  for (const std::optional<SegmentRange>& r : {next, std::optional<SegmentRange>(current)}) {
    if (!r.has_value() || r->size() == 0) continue;
    absl::StatusOr<bool> given = store_->GiveBack(options_.counter, *r);
    if (!given.ok()) {
      result = given.status();
      break;
    }
    if (!*given) break;
  }
  return result;
}

SegmentBuffer::Stats SegmentBuffer::stats() const {
  idgen::MutexLock lock(&mu_);
  Stats s = stats_;
  s.step = step_;
  s.buffered = Buffered();
  s.exhausted = exhausted_;
  if (current_.size() > 0) {
    s.next_id = current_.first;
  } else if (next_.has_value()) {
    s.next_id = next_->first;
  }
  s.store_error = std::string(last_error_.message());
  if (s.next_id != 0) {
    s.headroom_ids = options_.max_value + 1 - s.next_id;
  } else if (!exhausted_ && last_end_ <= options_.max_value) {
    s.headroom_ids = options_.max_value + 1 - last_end_;
  }
  if (!rate_samples_.empty()) {
    const RateSample& base = rate_samples_.front();
    const absl::Duration span = clock_->MonotonicNow() - base.at;
    if (span >= kRateStep) {
      s.ids_per_second =
          static_cast<double>(stats_.handed_out - base.handed_out) / absl::ToDoubleSeconds(span);
    }
  }
  return s;
}

}  // namespace idgen::segment
