// Copyright idgen authors.
//
// ScriptedSegmentStore: an in-memory SegmentStore for unit tests, with the
// store's contract (atomic leases, compare-and-set give-back) and a script
// of faults the test queues up: the next leases fail without committing,
// or commit and then fail (the answer lost, as a timed-out call whose write
// went through), or block until the test lets them go.
//
// Thread-safety: all methods may be called concurrently. Header-only.
#ifndef IDGEN_SEGMENT_TESTING_SCRIPTED_SEGMENT_STORE_H_
#define IDGEN_SEGMENT_TESTING_SCRIPTED_SEGMENT_STORE_H_

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "idgen/internal/mutex.h"
#include "src/segment/segment_store.h"

namespace idgen::segment::testing {

class ScriptedSegmentStore final : public SegmentStore {
 public:
  enum class Fault { kFail, kCommitThenFail };

  std::string name() const override { return "scripted"; }

  absl::StatusOr<SegmentRange> Lease(const std::string& counter, uint64_t start, uint64_t step,
                                     uint64_t max_value) override {
    idgen::MutexLock lock(&mu_);
    ++lease_calls_;
    steps_.push_back(step);
    while (blocked_) cv_.Wait();
    std::optional<Fault> fault;
    if (!faults_.empty()) {
      fault = faults_.front();
      faults_.pop_front();
    }
    if (fault == Fault::kFail || down_) {
      return absl::UnavailableError("scripted store is down");
    }
    auto [it, inserted] = counters_.try_emplace(counter, start);
    const uint64_t next = it->second;
    if (next > max_value) {
      return absl::FailedPreconditionError(absl::StrCat("counter ", counter, " is used up"));
    }
    const SegmentRange r{next, std::min(next + step, max_value + 1)};
    it->second = r.end;
    if (fault == Fault::kCommitThenFail) {
      lost_.push_back(r);
      return absl::DeadlineExceededError("scripted store: answer lost after commit");
    }
    granted_.push_back(r);
    return r;
  }

  absl::StatusOr<bool> GiveBack(const std::string& counter, SegmentRange unused) override {
    idgen::MutexLock lock(&mu_);
    if (down_) return absl::UnavailableError("scripted store is down");
    auto it = counters_.find(counter);
    if (it == counters_.end() || it->second != unused.end) return false;
    it->second = unused.first;
    return true;
  }

  // Faults for the next leases, in order.
  void Queue(Fault f) {
    idgen::MutexLock lock(&mu_);
    faults_.push_back(f);
  }
  // While down, every call fails with UNAVAILABLE (nothing commits).
  void SetDown(bool down) {
    idgen::MutexLock lock(&mu_);
    down_ = down;
  }
  // While blocked, Lease waits (the call "in flight").
  void SetBlocked(bool blocked) {
    {
      idgen::MutexLock lock(&mu_);
      blocked_ = blocked;
    }
    cv_.SignalAll();
  }
  uint64_t counter(const std::string& name) {
    idgen::MutexLock lock(&mu_);
    auto it = counters_.find(name);
    return it == counters_.end() ? 0 : it->second;
  }
  void SetCounter(const std::string& name, uint64_t value) {
    idgen::MutexLock lock(&mu_);
    counters_[name] = value;
  }
  int lease_calls() {
    idgen::MutexLock lock(&mu_);
    return lease_calls_;
  }
  std::vector<uint64_t> steps() {
    idgen::MutexLock lock(&mu_);
    return steps_;
  }
  std::vector<SegmentRange> granted() {
    idgen::MutexLock lock(&mu_);
    return granted_;
  }
  // Ranges that committed but whose answer was lost.
  std::vector<SegmentRange> lost() {
    idgen::MutexLock lock(&mu_);
    return lost_;
  }

 private:
  idgen::Mutex mu_;
  idgen::CondVar cv_{&mu_};
  std::map<std::string, uint64_t> counters_ ABSL_GUARDED_BY(mu_);
  std::deque<Fault> faults_ ABSL_GUARDED_BY(mu_);
  bool down_ ABSL_GUARDED_BY(mu_) = false;
  bool blocked_ ABSL_GUARDED_BY(mu_) = false;
  int lease_calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<uint64_t> steps_ ABSL_GUARDED_BY(mu_);
  std::vector<SegmentRange> granted_ ABSL_GUARDED_BY(mu_);
  std::vector<SegmentRange> lost_ ABSL_GUARDED_BY(mu_);
};

}  // namespace idgen::segment::testing

#endif  // IDGEN_SEGMENT_TESTING_SCRIPTED_SEGMENT_STORE_H_
