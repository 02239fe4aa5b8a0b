// Copyright idgen authors.
//
// The client's IdPool: the project's one ID pool (src/pool/id_pool.h, the
// gateway's too) with prefetch on, one fetch in flight, fed by
// Connection::NextIdsAsync, and a backoff between failed refills.
#include "idgen/client/id_pool.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "idgen/client/client.h"
#include "idgen/clock.h"
#include "idgen/internal/mutex.h"
#include "src/pool/id_pool.h"

namespace idgen::client {
namespace {

constexpr absl::Duration kFirstBackoff = absl::Milliseconds(20);
constexpr absl::Duration kMaxBackoff = absl::Seconds(2);

absl::Status ToAbsl(const Status& s) {
  return {static_cast<absl::StatusCode>(s.code()), s.message()};
}

Status FromAbsl(const absl::Status& s) {
  return {static_cast<StatusCode>(s.code()), std::string(s.message())};
}

absl::Duration ToAbsl(std::chrono::milliseconds ms) { return absl::Milliseconds(ms.count()); }

pool::IdPoolOptions PoolOptionsFor(const PoolOptions& o) {
  pool::IdPoolOptions p;
  p.coalesce = true;
  p.cap = o.batch;
  // Refill when fewer than low_water are ready, up to low_water + batch:
  // every refill is one full batch.
  p.prefetch = o.batch + o.low_water;
  p.refill_at = std::max<uint32_t>(o.low_water, 1);
  p.max_age = o.max_age.count() > 0 ? ToAbsl(o.max_age) : absl::InfiniteDuration();
  p.max_calls = 1;
  p.max_waiting = 100000;
  return p;
}

}  // namespace

class IdPool::State {
 public:
  State(std::shared_ptr<Connection> connection, std::string ns, const PoolOptions& options)
      : connection_(std::move(connection)),
        ns_(std::move(ns)),
        wait_(ToAbsl(options.wait)),
        pool_(
            PoolOptionsFor(options),
            [this](const std::string& name, uint32_t count, const pool::CallContext&,
                   pool::IdPool::FetchDone done) { return Fetch(name, count, std::move(done)); },
            SystemClock::Get()) {}

  // Waits for the refill in flight, whose callback touches this state.
  ~State() {
    pool_.Close(absl::CancelledError("the pool is being destroyed"));
    idgen::MutexLock lock(&mu_);
    while (in_flight_ > 0) idle_.Wait();
  }

  // One ID: ready ones without a callback or an allocation, else Take(1).
  StatusOr<uint64_t> TakeOne() {
    uint64_t id = 0;
    if (pool_.TryTakeReady(ns_, 1, &id)) return id;
    StatusOr<std::vector<uint64_t>> ids = Take(1);
    if (!ids.ok()) return ids.status();
    return ids->front();
  }

  StatusOr<std::vector<uint64_t>> Take(uint32_t count) {
    if (std::vector<uint64_t> ready(count); pool_.TryTakeReady(ns_, count, ready.data())) {
      return ready;
    }
    // What the answer leaves for this thread: plain values copied out in
    // the thread that answers (absl::Status shares its text between copies;
    // none of those copies leaves that thread).
    struct Slot {
      idgen::Mutex mu;
      idgen::CondVar cv{&mu};
      bool done ABSL_GUARDED_BY(mu) = false;
      Status status ABSL_GUARDED_BY(mu);
      std::vector<uint64_t> ids ABSL_GUARDED_BY(mu);
    };
    // Shared: the answer may come after this call gave up waiting.
    auto slot = std::make_shared<Slot>();
    const bool queued = pool_.Take(ns_, count, {}, [slot](pool::IdPool::Result& r) {
      Status status;
      if (r.overloaded) {
        status = Status(StatusCode::kResourceExhausted, "the pool is overloaded");
      } else if (!r.status.ok()) {
        status = FromAbsl(r.status);
      }
      idgen::MutexLock lock(&slot->mu);
      slot->status = std::move(status);
      slot->ids = std::move(r.ids.ids);
      slot->done = true;
      slot->cv.SignalAll();
    });
    if (!queued) {
      return Status(StatusCode::kResourceExhausted, "too many Next() calls waiting on the pool");
    }
    idgen::MutexLock lock(&slot->mu);
    const absl::Time deadline = absl::Now() + wait_;
    while (!slot->done) {
      if (slot->cv.WaitFor(deadline - absl::Now()) && !slot->done && absl::Now() >= deadline) {
        return Status(
            StatusCode::kDeadlineExceeded,
            "no IDs within " + absl::FormatDuration(wait_) + " (the refill is still running)");
      }
    }
    if (!slot->status.ok()) return slot->status;
    return std::move(slot->ids);
  }

  PoolStats Stats() const {
    const pool::IdPool::Stats s = pool_.stats();
    PoolStats out;
    out.ready = s.ready;
    out.requests = s.requests;
    out.dropped_stale = s.discarded_stale;
    out.dropped_unused = s.discarded_unused;
    idgen::MutexLock lock(&mu_);
    out.refills = refills_;
    out.refill_failures = refill_failures_;
    return out;
  }

 private:
  bool Fetch(const std::string& ns, uint32_t count, pool::IdPool::FetchDone done) {
    Status refused;
    {
      idgen::MutexLock lock(&mu_);
      if (absl::Now() < retry_at_) {
        refused = last_failure_;  // backing off: no call
      } else {
        ++in_flight_;
        ++refills_;
      }
    }
    if (!refused.ok()) {
      done(ToAbsl(refused));
      return true;
    }
    connection_->NextIdsAsync(ns, count, {}, [this, done = std::move(done)](StatusOr<IdBlock> b) {
      absl::StatusOr<pool::IdBatch> batch;
      if (b.ok() && b->ids.empty()) {
        b = Status(StatusCode::kFailedPrecondition,
                   "namespace \"" + b->ns + "\" has no 64-bit IDs (" + b->scheme +
                       "): a pool serves 64-bit schemes only; use NextIds128");
      }
      if (b.ok()) {
        pool::IdBatch ids;
        ids.ns = std::move(b->ns);
        ids.scheme = std::move(b->scheme);
        ids.ids = std::move(b->ids);
        batch = std::move(ids);
      } else {
        batch = ToAbsl(b.status());
      }
      {
        idgen::MutexLock lock(&mu_);
        if (b.ok()) {
          backoff_ = absl::ZeroDuration();
        } else {
          ++refill_failures_;
          backoff_ = std::min(kMaxBackoff, std::max(kFirstBackoff, backoff_ * 2));
          retry_at_ = absl::Now() + backoff_;
          last_failure_ = b.status();
        }
      }
      done(std::move(batch));
      // Last: the destructor may go on once this is zero.
      idgen::MutexLock lock(&mu_);
      --in_flight_;
      idle_.SignalAll();
    });
    return true;
  }

  const std::shared_ptr<Connection> connection_;
  const std::string ns_;
  const absl::Duration wait_;
  mutable idgen::Mutex mu_;
  idgen::CondVar idle_{&mu_};
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t refills_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t refill_failures_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Duration backoff_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  absl::Time retry_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  Status last_failure_ ABSL_GUARDED_BY(mu_);
  pool::IdPool pool_;  // last: its fetches use the members above
};

StatusOr<uint64_t> IdPool::Next() { return state_->TakeOne(); }

StatusOr<std::vector<uint64_t>> IdPool::Next(uint32_t count) {
  if (count == 0) return Status(StatusCode::kInvalidArgument, "count: must be at least 1");
  return state_->Take(count);
}

PoolStats IdPool::Stats() const { return state_->Stats(); }

StatusOr<IdPool> Client::Pool(const std::string& ns, const PoolOptions& options) const {
  auto bad = [](const std::string& m) { return Status(StatusCode::kInvalidArgument, m); };
  if (options.batch == 0 || options.batch > 100000) {
    return bad("batch: " + std::to_string(options.batch) + " is not in 1..100000");
  }
  if (options.low_water > options.batch) {
    return bad("low_water: " + std::to_string(options.low_water) + " is over batch " +
               std::to_string(options.batch));
  }
  if (options.max_age.count() < 0) return bad("max_age: must not be negative");
  if (options.wait.count() < 1) return bad("wait: must be at least 1 ms");
  if (ns.size() > 128) return bad("namespace: longer than 128 bytes");
  return IdPool(std::make_shared<IdPool::State>(connection_, ns, options));
}

}  // namespace idgen::client
