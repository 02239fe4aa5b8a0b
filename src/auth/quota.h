// Copyright idgen authors.
//
// Quota: token buckets in IDs. Each caller (by Principal::name) has its own
// bucket of `burst` IDs refilled at `ids_per_second`; the process has one
// more (--max-ids-per-second, burst = one second's worth unless given). A
// request for N IDs costs N from both, or from neither: it is admitted only
// when both hold N. Buckets start full. A request larger than a burst can
// never fit and is refused at once with a message saying so (no
// retry_after), instead of waiting forever.
//
// Quotas are per process: a caller served by three gateways gets three
// times its rate in all. Callers are kept in a map bounded by max_callers
// (names come from the key file or a token's subject); beyond it, new names
// share the bucket and counters of the caller "other".
//
// Thread-safety: every method may be called concurrently. A CallerState
// pointer stays valid as long as the Quota (streams keep one).
#ifndef IDGEN_AUTH_QUOTA_H_
#define IDGEN_AUTH_QUOTA_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "idgen/clock.h"
#include "idgen/internal/mutex.h"
#include "src/auth/principal.h"

namespace idgen::auth {

// A token bucket (not thread-safe by itself; Quota locks it).
class TokenBucket {
 public:
  TokenBucket(double rate, double burst, absl::Duration now);
  // Refills to `now`, then takes `n` if there are that many. On refusal,
  // *wait is how long until `n` would be there.
  bool Take(double n, absl::Duration now, absl::Duration* wait);
  void Refund(double n);
  // New limits (a reloaded key file); keeps the tokens, capped at burst.
  void Reset(double rate, double burst);
  double rate() const { return rate_; }
  double burst() const { return burst_; }
  double tokens() const { return tokens_; }
  // Refilled to `now` (no take).
  void Refill(absl::Duration now);

 private:
  double rate_;
  double burst_;
  double tokens_;
  absl::Duration last_;
};

struct CallerState {
  explicit CallerState(std::string n) : name(std::move(n)) {}
  const std::string name;
  idgen::Mutex mu;
  std::unique_ptr<TokenBucket> bucket ABSL_GUARDED_BY(mu);  // null: no per-caller limit
  std::atomic<uint64_t> issued{0};
  std::atomic<uint64_t> rejected{0};
};

struct QuotaOptions {
  double max_ids_per_second = 0;  // the process's bucket; 0: none
  double max_burst = 0;           // 0: max(1, max_ids_per_second)
  size_t max_callers = 10000;
};

class Quota {
 public:
  struct Decision {
    bool admitted = true;
    // Refused: whether the process's bucket (not the caller's) was short,
    // how long until the request would fit (zero when it never can), and
    // what to tell the caller.
    bool global = false;
    absl::Duration retry_after;
    std::string message;
    // For RateLimit headers: the caller's bucket after the decision (0/0
    // when the caller has no limit of its own).
    double limit = 0;
    double remaining = 0;
    double ids_per_second = 0;
  };

  Quota(QuotaOptions options, Clock* clock);

  // The state of `p`'s name (created on first use, with p's limits; later
  // calls adopt changed limits).
  CallerState* Caller(const Principal& p) ABSL_LOCKS_EXCLUDED(mu_);
  // Admits `n` IDs for `caller` (limits from `p`) or says why not. Counts
  // issued IDs (admitted) and rejections in the caller's state.
  Decision Take(CallerState* caller, const Principal& p, uint64_t n);
  // Gives back an admitted request's IDs that were not issued.
  void Refund(CallerState* caller, uint64_t n);
  // True when Take can only admit (no bucket anywhere): the hot path may
  // skip it for a caller without limits.
  bool unlimited() const { return global_ == nullptr; }

  // Every caller's counters, by name.
  struct CallerCounts {
    std::string name;
    uint64_t issued;
    uint64_t rejected;
  };
  std::vector<CallerCounts> Counts() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const QuotaOptions options_;
  Clock* const clock_;
  mutable idgen::Mutex mu_;
  std::map<std::string, std::unique_ptr<CallerState>, std::less<>> callers_ ABSL_GUARDED_BY(mu_);
  idgen::Mutex global_mu_;
  std::unique_ptr<TokenBucket> global_ ABSL_PT_GUARDED_BY(global_mu_);
};

}  // namespace idgen::auth

#endif  // IDGEN_AUTH_QUOTA_H_
