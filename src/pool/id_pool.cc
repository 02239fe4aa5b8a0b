// Copyright idgen authors.
#include "src/pool/id_pool.h"

#include <algorithm>
#include <cstddef>
#include <utility>

namespace idgen::pool {

IdPool::IdPool(IdPoolOptions options, Fetch fetch, Clock* clock)
    : options_(options), fetch_(std::move(fetch)), clock_(clock) {}

bool IdPool::Take(const std::string& ns, uint32_t count, const CallContext& ctx, Done done) {
  const bool pooled =
      (options_.coalesce || options_.prefetch > 0) && count >= 1 && count <= options_.cap;
  if (!pooled) {
    {
      idgen::MutexLock lock(&mu_);
      ++counts_.bypassed;
    }
    auto shared_done = std::make_shared<Done>(std::move(done));
    const bool started = fetch_(ns, count, ctx, [shared_done](absl::StatusOr<IdBatch> fetched) {
      Result result;
      if (fetched.ok()) {
        result.ids = *std::move(fetched);
      } else {
        result.status = fetched.status();
      }
      (*shared_done)(result);
    });
    if (!started) {
      Result result;
      result.overloaded = true;
      (*shared_done)(result);
    }
    return true;
  }
  Actions actions;
  {
    idgen::MutexLock lock(&mu_);
    if (closed_) {
      Result stopping;
      stopping.status = close_status_;
      actions.answers.emplace_back(std::move(done), std::move(stopping));
    } else {
      if (waiting_ >= static_cast<size_t>(options_.max_waiting)) return false;
      Namespace& st = namespaces_[ns];
      if (st.cap == 0) st.cap = options_.cap;
      st.waiters.push_back(Waiter{count, std::move(done), ctx});
      st.wanted += count;
      ++waiting_;
      Pump(ns, st, actions);
    }
  }
  Run(ns, actions);
  return true;
}

bool IdPool::TryTakeReady(const std::string& ns, uint32_t count, uint64_t* out) {
  if (count == 0 || count > options_.cap || !(options_.coalesce || options_.prefetch > 0)) {
    return false;
  }
  Actions actions;
  {
    idgen::MutexLock lock(&mu_);
    if (closed_) return false;
    auto it = namespaces_.find(ns);
    if (it == namespaces_.end()) return false;
    Namespace& st = it->second;
    if (!st.waiters.empty()) return false;  // they come first
    DropStale(st);
    if (st.blocks.empty()) return false;
    Block& b = st.blocks.front();
    if (b.ids.ids.empty() || b.left() < count) return false;
    std::copy_n(b.ids.ids.begin() + static_cast<std::ptrdiff_t>(b.next), count, out);
    b.next += count;
    st.ready -= count;
    if (b.left() == 0) st.blocks.pop_front();
    ++counts_.requests;
    Pump(ns, st, actions);  // the refill, below the low-water mark
  }
  Run(ns, actions);
  return true;
}

void IdPool::Run(const std::string& ns, Actions& actions) {
  for (auto& [done, result] : actions.answers) done(result);
  for (const Launch& launch : actions.launches) {
    const bool started =
        fetch_(ns, launch.count, launch.ctx, [this, ns, launch](absl::StatusOr<IdBatch> fetched) {
          OnFetched(ns, launch, std::move(fetched));
        });
    if (!started) {
      Result overloaded;
      overloaded.overloaded = true;
      Actions more;
      {
        idgen::MutexLock lock(&mu_);
        Namespace& st = namespaces_[ns];
        --st.calls;
        st.requested -= launch.count;
        --counts_.calls;
        if (launch.for_waiters > 0) FailWaiters(st, launch.for_waiters, overloaded, more);
        // No new call now (the backends are at their bound). A call still in
        // flight pumps again when it ends; with none, nothing would: the
        // rest are overloaded too.
        if (st.calls == 0) FailWaiters(st, st.wanted, overloaded, more);
        if (st.calls == 0 && st.waiters.empty() && st.blocks.empty()) namespaces_.erase(ns);
      }
      for (auto& [done, result] : more.answers) done(result);
    }
  }
}

void IdPool::OnFetched(const std::string& ns, const Launch& launch,
                       absl::StatusOr<IdBatch> fetched) {
  Actions actions;
  {
    idgen::MutexLock lock(&mu_);
    Namespace& st = namespaces_[ns];  // exists: this call kept it
    --st.calls;
    st.requested -= launch.count;
    const uint32_t head = st.waiters.empty() ? 0 : st.waiters.front().count;
    if (fetched.ok()) {
      Block b;
      b.ids = *std::move(fetched);
      b.fetched_at = clock_->MonotonicNow();
      st.prefetchable =
          b.ids.ids128.empty() && (b.ids.scheme == "snowflake" || b.ids.scheme == "segment");
      st.refill_paused = false;
      if (b.ids.size() > 0) {
        st.ready += b.ids.size();
        st.blocks.push_back(std::move(b));
      }
    } else {
      // No background refills until a call succeeds again: a dead cluster
      // must not get a stream of them.
      st.refill_paused = true;
      const absl::Status& status = fetched.status();
      if (status.code() == absl::StatusCode::kResourceExhausted && launch.count > 1 &&
          (launch.for_waiters == 0 || launch.count > head)) {
        // More than the node's max_batch: ask for less from now on; the
        // waiters are served by smaller calls (Pump below).
        st.cap = std::max<uint32_t>({1, head, launch.count / 2});
      } else if (launch.for_waiters > 0) {
        Result failed;
        failed.status = status;
        FailWaiters(st, launch.for_waiters, failed, actions);
      }
    }
    Pump(ns, st, actions);
  }
  Run(ns, actions);
}

void IdPool::Close(absl::Status status) {
  std::vector<std::pair<Done, Result>> answers;
  {
    idgen::MutexLock lock(&mu_);
    closed_ = true;
    close_status_ = std::move(status);
    Result stopping;
    stopping.status = close_status_;
    for (auto& [name, st] : namespaces_) {
      Actions a;
      FailWaiters(st, st.wanted, stopping, a);
      for (auto& answer : a.answers) answers.push_back(std::move(answer));
      st.blocks.clear();
      st.ready = 0;
    }
  }
  for (auto& [done, result] : answers) done(result);
}

void IdPool::Pump(const std::string& ns, Namespace& st, Actions& actions) {
  DropStale(st);
  ServeWaiters(st, actions);
  if (closed_) {
    if (st.calls == 0) namespaces_.erase(ns);
    return;
  }
  const uint64_t prefetch = st.prefetchable && !st.refill_paused ? options_.prefetch : 0;
  if (options_.prefetch == 0 || !st.prefetchable) {
    // Without prefetch no ID waits for a later request: it would be older
    // than that request.
    if (st.waiters.empty()) {
      while (!st.blocks.empty()) {
        counts_.discarded_unused += st.blocks.front().left();
        st.blocks.pop_front();
      }
      st.ready = 0;
    }
  }
  // Calls: enough for every waiter, plus the prefetch target.
  while (st.calls < options_.max_calls) {
    const uint64_t have = st.ready + st.requested;
    const bool for_waiters = st.wanted > have;
    const uint64_t refill_at = options_.refill_at > 0 ? options_.refill_at : prefetch / 2;
    const bool refill = prefetch > 0 && have < st.wanted + refill_at;
    if (!for_waiters && !refill) break;
    const uint64_t target = st.wanted + prefetch;
    uint64_t count = std::min<uint64_t>(target - std::min(target, have), st.cap);
    if (!st.waiters.empty()) count = std::max<uint64_t>(count, st.waiters.front().count);
    count = std::max<uint64_t>(count, 1);
    Launch launch;
    launch.count = static_cast<uint32_t>(count);
    launch.for_waiters = for_waiters ? std::min<uint64_t>(count, st.wanted - have) : 0;
    if (!st.waiters.empty()) launch.ctx = st.waiters.front().ctx;
    ++st.calls;
    st.requested += count;
    ++counts_.calls;
    actions.launches.push_back(std::move(launch));
  }
  if (st.calls == 0 && st.waiters.empty() && st.blocks.empty()) namespaces_.erase(ns);
}

void IdPool::DropStale(Namespace& st) {
  const absl::Duration now = clock_->MonotonicNow();
  while (!st.blocks.empty() && now - st.blocks.front().fetched_at > options_.max_age) {
    const uint64_t left = st.blocks.front().left();
    st.ready -= left;
    counts_.discarded_stale += left;
    st.blocks.pop_front();
  }
}

void IdPool::ServeWaiters(Namespace& st, Actions& actions) {
  while (!st.waiters.empty() && !st.blocks.empty()) {
    Waiter& w = st.waiters.front();
    Block& b = st.blocks.front();
    if (b.left() < w.count) {
      if (st.blocks.size() == 1 && st.requested > 0) break;  // wait for the next block
      // A request's IDs come from one block: drop the remainder.
      st.ready -= b.left();
      counts_.discarded_unused += b.left();
      st.blocks.pop_front();
      continue;
    }
    Result r;
    r.ids = Slice(b, w.count);
    st.ready -= w.count;
    if (b.left() == 0) st.blocks.pop_front();
    st.wanted -= w.count;
    --waiting_;
    ++counts_.requests;
    actions.answers.emplace_back(std::move(w.done), std::move(r));
    st.waiters.pop_front();
  }
}

void IdPool::FailWaiters(Namespace& st, uint64_t ids, const Result& result, Actions& actions) {
  uint64_t failed = 0;
  while (!st.waiters.empty() && (failed == 0 || failed + st.waiters.front().count <= ids)) {
    Waiter& w = st.waiters.front();
    failed += w.count;
    st.wanted -= w.count;
    --waiting_;
    ++counts_.requests;
    actions.answers.emplace_back(std::move(w.done), result);
    st.waiters.pop_front();
  }
}

IdBatch IdPool::Slice(Block& block, uint32_t count) {
  IdBatch out;
  out.ns = block.ids.ns;
  out.scheme = block.ids.scheme;
  const size_t end = block.next + count;
  const IdBatch& from = block.ids;
  if (!from.ids.empty()) {
    out.ids.assign(from.ids.begin() + static_cast<std::ptrdiff_t>(block.next),
                   from.ids.begin() + static_cast<std::ptrdiff_t>(end));
  } else {
    out.ids128.assign(from.ids128.begin() + static_cast<std::ptrdiff_t>(block.next),
                      from.ids128.begin() + static_cast<std::ptrdiff_t>(end));
  }
  block.next = end;
  return out;
}

IdPool::Stats IdPool::stats() const {
  idgen::MutexLock lock(&mu_);
  Stats s = counts_;
  s.namespaces = namespaces_.size();
  s.waiting = waiting_;
  s.ready = 0;
  for (const auto& [name, st] : namespaces_) s.ready += st.ready;
  return s;
}

}  // namespace idgen::pool
