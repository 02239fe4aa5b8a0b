// Copyright idgen authors.
//
// IdPool: serves ID requests from shared calls to an ID source. The source is
// a Fetch function of plain types (namespace, count -> IDs or a status), so
// the pool works over anything that hands out IDs in batches: the gateway
// fills it from its backends, a client library could fill it from a node.
//
// Coalescing (on by default): while a namespace already has fetches in
// flight (at most `max_calls` at once), new requests wait, and the next
// fetch gets what all of them need in one call (at most `cap` IDs). Under
// load one fetch then answers many requests, which is what makes the
// gateway cheap per request; when idle every request gets its own fetch at
// once, so coalescing adds no latency. Each request's IDs are one slice of
// one fetched batch: strictly increasing, fresh (fetched after the request
// arrived or while it was being fetched for others).
//
// Prefetch (off by default, `prefetch` > 0): for namespaces of 64-bit
// schemes (snowflake, segment) the pool also keeps up to `prefetch` IDs
// ready, refilled in the background when fewer than `refill_at` (default:
// half) are left, so a request is answered without waiting
// for a fetch at all. The trade-off (docs/OPERATIONS.md): an ID may carry a
// timestamp up to `max_age` older than the request.
//
// Order: within one answer IDs are strictly increasing. Across answers, and
// across refills, the pool promises no order: batches are used oldest first,
// but fetches may complete out of order and the source itself may be several
// nodes (round robin), so a later answer may hold smaller IDs.
//
// Lost IDs: IDs the pool fetched but never handed out are lost, never
// reissued: gaps, not duplicates. That happens when ready IDs age out
// (max_age), when the pool closes or is destroyed (the process exits), when
// a request needs more than a batch has left (the remainder is dropped: a
// request's IDs come from one batch), and without prefetch when nobody waits
// for a batch's remainder. The pool never hands out an ID twice.
//
// Bounds: at most `max_waiting` requests wait (beyond, Take returns false);
// a request waits at most for the fetches ahead of it, each bounded by the
// source (the gateway's backend deadline). Requests for more than `cap` IDs
// bypass the pool (one fetch of their own).
//
// Errors: a fetch's status reaches the requests it was for, with one
// exception: RESOURCE_EXHAUSTED for a pooled fetch of more than one ID that
// was a refill or larger than the first waiting request means "more than the
// source serves at once": the namespace's cap drops to half that fetch (not
// below the first waiting request) and the waiters are fetched again in
// smaller calls. After a failed fetch no background refill starts until a
// fetch succeeds again.
//
// Thread-safety: Take may be called concurrently. `done` callbacks run on
// the caller's thread (answer at once) or on the thread that completes a
// fetch, never under the pool's lock. Lifetime: the pool must outlive the
// fetches it started (stop whatever completes them first).
//
// Example:
//   IdPool pool(IdPoolOptions{}, [&](const std::string& ns, uint32_t count,
//                                    const CallContext& ctx, IdPool::FetchDone done) {
//     return source.Start(ns, count, std::move(done));  // false: cannot start now
//   }, SystemClock::Get());
//   if (!pool.Take("orders", 10, {}, [](IdPool::Result& r) { ... })) { /* full */ }
#ifndef IDGEN_POOL_ID_POOL_H_
#define IDGEN_POOL_ID_POOL_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "idgen/clock.h"
#include "idgen/internal/mutex.h"
#include "src/pool/call_context.h"
#include "src/pool/id_batch.h"

namespace idgen::pool {

struct IdPoolOptions {
  bool coalesce = true;
  uint32_t cap = 1000;                        // most IDs one pooled fetch gets
  uint32_t prefetch = 0;                      // IDs kept ready per snowflake namespace; 0: off
  uint32_t refill_at = 0;                     // refill when fewer are ready; 0: prefetch / 2
  absl::Duration max_age = absl::Seconds(1);  // older ready IDs are dropped
  int max_calls = 2;                          // pooled fetches in flight per namespace
  int max_waiting = 1024;                     // requests waiting at once
};

class IdPool {
 public:
  // What a request gets: IDs (status OK), the fetch's error, the Close
  // status, or `overloaded` when no fetch could be started.
  struct Result {
    absl::Status status;
    bool overloaded = false;
    IdBatch ids;
  };
  using Done = std::function<void(Result&)>;
  // A fetch's answer: at most `count` IDs of the namespace, or why not.
  using FetchDone = std::function<void(absl::StatusOr<IdBatch>)>;
  // Starts fetching `count` IDs of `ns` on behalf of the request that
  // passed `ctx` (for a coalesced fetch: the first waiting request); false
  // if it could not start (the source is at its bound): `done` then is
  // never called. Otherwise `done` is called exactly once, on any thread,
  // possibly from within Fetch (the pool never holds its lock around it).
  using Fetch = std::function<bool(const std::string& ns, uint32_t count, const CallContext& ctx,
                                   FetchDone done)>;

  struct Stats {
    uint64_t requests = 0;          // answered through the pool (any outcome)
    uint64_t calls = 0;             // fetches the pool started for pooled requests
    uint64_t bypassed = 0;          // requests sent straight to a fetch of their own
    uint64_t discarded_stale = 0;   // IDs dropped: older than max_age
    uint64_t discarded_unused = 0;  // IDs dropped: a block's remainder nobody could use
    uint64_t ready = 0;             // IDs ready now, all namespaces
    size_t namespaces = 0;          // namespaces with state now
    size_t waiting = 0;             // requests waiting now
  };

  // `clock` (monotonic time for max_age) must outlive the pool.
  IdPool(IdPoolOptions options, Fetch fetch, Clock* clock);
  IdPool(const IdPool&) = delete;
  IdPool& operator=(const IdPool&) = delete;

  // Gets `count` IDs of namespace `ns` for `done`; `ctx` goes to the fetch
  // made for it. The pool passes `ns` to Fetch as given (the source decides
  // what an empty name means). False (and `done` never called) when
  // `max_waiting` requests already wait.
  [[nodiscard]] bool Take(const std::string& ns, uint32_t count, const CallContext& ctx, Done done);

  // The fast path of Take for 64-bit IDs that are ready now: when nobody
  // waits for `ns` and the oldest ready block holds `count` fresh IDs, copies
  // them to out[0..count) in their order, counts the request, starts the
  // refill it may call for, and returns true, all without a callback or an
  // allocation. False (nothing taken) otherwise: use Take.
  [[nodiscard]] bool TryTakeReady(const std::string& ns, uint32_t count, uint64_t* out);

  // Answers every waiting request with `status` (not OK), drops the ready
  // IDs (lost: gaps) and starts no more fetches; later pooled Takes are
  // answered `status` at once. Call before stopping the source.
  void Close(absl::Status status);

  Stats stats() const;
  const IdPoolOptions& options() const { return options_; }

 private:
  struct Waiter {
    uint32_t count;
    Done done;
    CallContext ctx;
  };
  struct Block {
    IdBatch ids;
    size_t next = 0;  // first unused
    absl::Duration fetched_at;
    size_t left() const { return ids.size() - next; }
  };
  struct Namespace {
    std::deque<Block> blocks;
    uint64_t ready = 0;  // unused IDs in blocks
    std::deque<Waiter> waiters;
    uint64_t wanted = 0;         // sum of waiters' counts
    int calls = 0;               // pooled calls in flight
    uint64_t requested = 0;      // IDs asked for by those calls
    uint32_t cap = 0;            // halved when the source says the batch is too big
    bool prefetchable = false;   // the source said "snowflake"
    bool refill_paused = false;  // the last call failed
  };
  // Work decided under the lock, done after it.
  struct Launch {
    uint32_t count;
    uint64_t for_waiters;
    CallContext ctx;
  };
  struct Actions {
    std::vector<std::pair<Done, Result>> answers;
    std::vector<Launch> launches;
  };

  void Run(const std::string& ns, Actions& actions);
  void OnFetched(const std::string& ns, const Launch& launch, absl::StatusOr<IdBatch> fetched);
  // Under mu_: drops aged blocks, answers waiters from blocks, decides
  // calls, forgets an idle namespace.
  void Pump(const std::string& ns, Namespace& st, Actions& actions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DropStale(Namespace& st) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ServeWaiters(Namespace& st, Actions& actions) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Answers the first waiters, up to `ids` IDs' worth (at least one).
  void FailWaiters(Namespace& st, uint64_t ids, const Result& result, Actions& actions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static IdBatch Slice(Block& block, uint32_t count);

  const IdPoolOptions options_;
  const Fetch fetch_;
  Clock* const clock_;
  mutable idgen::Mutex mu_;
  std::map<std::string, Namespace> namespaces_ ABSL_GUARDED_BY(mu_);
  size_t waiting_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status close_status_ ABSL_GUARDED_BY(mu_);
  Stats counts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace idgen::pool

#endif  // IDGEN_POOL_ID_POOL_H_
