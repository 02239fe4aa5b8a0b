// Copyright idgen authors.
#include "src/auth/quota.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace idgen::auth {
namespace {

constexpr absl::string_view kOverflowCaller = "other";

absl::Duration WaitFor(double missing, double rate) {
  if (rate <= 0) return absl::InfiniteDuration();
  return absl::Microseconds(std::ceil(missing / rate * 1e6));
}

std::string Amount(double v) { return absl::StrCat(static_cast<int64_t>(std::floor(v))); }

}  // namespace

TokenBucket::TokenBucket(double rate, double burst, absl::Duration now)
    : rate_(rate), burst_(burst), tokens_(burst), last_(now) {}

void TokenBucket::Refill(absl::Duration now) {
  if (now > last_) {
    tokens_ = std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * rate_);
    last_ = now;
  }
}

bool TokenBucket::Take(double n, absl::Duration now, absl::Duration* wait) {
  Refill(now);
  if (tokens_ >= n) {
    tokens_ -= n;
    return true;
  }
  if (wait != nullptr) *wait = WaitFor(n - tokens_, rate_);
  return false;
}

void TokenBucket::Refund(double n) { tokens_ = std::min(burst_, tokens_ + n); }

void TokenBucket::Reset(double rate, double burst) {
  rate_ = rate;
  burst_ = burst;
  tokens_ = std::min(tokens_, burst_);
}

Quota::Quota(QuotaOptions options, Clock* clock) : options_(options), clock_(clock) {
  if (options_.max_ids_per_second > 0) {
    const double burst =
        options_.max_burst > 0 ? options_.max_burst : std::max(1.0, options_.max_ids_per_second);
    global_ =
        std::make_unique<TokenBucket>(options_.max_ids_per_second, burst, clock_->MonotonicNow());
  }
}

CallerState* Quota::Caller(const Principal& p) {
  idgen::MutexLock lock(&mu_);
  auto it = callers_.find(p.name);
  if (it != callers_.end()) return it->second.get();
  std::string name = p.name;
  if (callers_.size() >= options_.max_callers) {
    it = callers_.find(kOverflowCaller);
    if (it != callers_.end()) return it->second.get();
    name = std::string(kOverflowCaller);
  }
  auto state = std::make_unique<CallerState>(name);
  CallerState* raw = state.get();
  callers_.emplace(std::move(name), std::move(state));
  return raw;
}

Quota::Decision Quota::Take(CallerState* caller, const Principal& p, uint64_t n) {
  Decision d;
  const double need = static_cast<double>(n);
  const absl::Duration now = clock_->MonotonicNow();
  idgen::MutexLock lock(&caller->mu);
  std::unique_ptr<TokenBucket>& bucket = caller->bucket;
  if (p.ids_per_second > 0) {
    const double burst = p.burst > 0 ? p.burst : std::max(1.0, p.ids_per_second);
    if (bucket == nullptr) {
      bucket = std::make_unique<TokenBucket>(p.ids_per_second, burst, now);
    } else if (bucket->rate() != p.ids_per_second || bucket->burst() != burst) {
      bucket->Reset(p.ids_per_second, burst);
    }
  } else {
    bucket.reset();
  }
  auto refuse = [&](bool global, absl::Duration wait, std::string message) {
    d.admitted = false;
    d.global = global;
    d.retry_after = wait;
    d.message = std::move(message);
    caller->rejected.fetch_add(1, std::memory_order_relaxed);
  };
  if (bucket != nullptr) {
    bucket->Refill(now);
    d.limit = bucket->burst();
    d.ids_per_second = bucket->rate();
    if (need > bucket->burst()) {
      refuse(false, absl::ZeroDuration(),
             absl::StrCat("a request for ", n, " IDs is more than caller \"", caller->name,
                          "\" may take at once (burst ", Amount(bucket->burst()),
                          "); ask for fewer per request"));
      d.remaining = bucket->tokens();
      return d;
    }
    if (bucket->tokens() < need) {
      const absl::Duration wait = WaitFor(need - bucket->tokens(), bucket->rate());
      refuse(false, wait,
             absl::StrCat("caller \"", caller->name, "\" is over its quota of ",
                          Amount(bucket->rate()), " IDs/s (burst ", Amount(bucket->burst()),
                          "); retry in ",
                          absl::FormatDuration(absl::Ceil(wait, absl::Milliseconds(1)))));
      d.remaining = bucket->tokens();
      return d;
    }
  }
  if (global_ != nullptr) {
    idgen::MutexLock global_lock(&global_mu_);
    if (need > global_->burst()) {
      refuse(true, absl::ZeroDuration(),
             absl::StrCat("a request for ", n,
                          " IDs is more than this process may issue at once (--max-ids-per-second "
                          "burst ",
                          Amount(global_->burst()), "); ask for fewer per request"));
      return d;
    }
    absl::Duration wait;
    if (!global_->Take(need, now, &wait)) {
      refuse(true, wait,
             absl::StrCat("this process is at its limit of ", Amount(global_->rate()),
                          " IDs/s (--max-ids-per-second); retry in ",
                          absl::FormatDuration(absl::Ceil(wait, absl::Milliseconds(1)))));
      if (bucket != nullptr) d.remaining = bucket->tokens();
      return d;
    }
  }
  if (bucket != nullptr) {
    (void)bucket->Take(need, now, nullptr);
    d.remaining = bucket->tokens();
  }
  caller->issued.fetch_add(n, std::memory_order_relaxed);
  return d;
}

void Quota::Refund(CallerState* caller, uint64_t n) {
  const double give = static_cast<double>(n);
  {
    idgen::MutexLock lock(&caller->mu);
    if (caller->bucket != nullptr) caller->bucket->Refund(give);
    caller->issued.fetch_sub(n, std::memory_order_relaxed);
  }
  if (global_ != nullptr) {
    idgen::MutexLock global_lock(&global_mu_);
    global_->Refund(give);
  }
}

std::vector<Quota::CallerCounts> Quota::Counts() const {
  std::vector<CallerCounts> out;
  idgen::MutexLock lock(&mu_);
  out.reserve(callers_.size());
  for (const auto& entry : callers_) {
    const CallerState& c = *entry.second;
    out.push_back({c.name, c.issued.load(std::memory_order_relaxed),
                   c.rejected.load(std::memory_order_relaxed)});
  }
  return out;
}

}  // namespace idgen::auth
