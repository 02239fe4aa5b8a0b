// Copyright idgen authors.
//
// IdPool: serves the gateway's ID requests from shared backend calls.
//
// Coalescing (on by default): while a namespace already has backend calls in
// flight (at most `max_calls` at once), new requests wait, and the next call
// fetches what all of them need in one NextIds (at most `cap` IDs). Under
// load one gRPC call then answers many HTTP requests, which is what makes
// the gateway cheap per request; when idle every request gets its own call
// at once, so coalescing adds no latency. Each request's IDs are one slice
// of one backend answer: strictly increasing, fresh (fetched after the
// request arrived or while it was being fetched for others).
//
// Prefetch (off by default, `prefetch` > 0): for snowflake namespaces the
// pool also keeps up to `prefetch` IDs ready, refilled in the background
// when fewer than half are left, so a request is answered without waiting
// for a backend at all. The trade-off (docs/OPERATIONS.md): an ID may carry
// a timestamp up to `max_age` older than the request, and IDs kept ready
// are lost (never reissued: gaps, not duplicates) when they age out, when
// the gateway stops, or when a request needs more than a block has left.
// Blocks are used oldest first.
//
// Across requests the pool promises no order (neither does round robin over
// several backends): only the IDs within one answer are increasing.
//
// Bounds: at most `max_waiting` requests wait (beyond, Take returns false:
// 429); a request waits at most for the calls ahead of it, each bounded by
// the backend deadline. Requests for more than `cap` IDs bypass the pool.
//
// Thread-safety: Take may be called concurrently. `done` callbacks run on
// the caller's thread (answer at once) or on a backend callback thread,
// never under the pool's lock. Lifetime: the pool must outlive the backend
// calls it started (destroy the Backends first).
#ifndef IDGEN_GATEWAY_ID_POOL_H_
#define IDGEN_GATEWAY_ID_POOL_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <grpcpp/support/status.h>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "idgen/clock.h"
#include "idgen/mutex.h"
#include "idgen/v1/idgen.pb.h"
#include "src/telemetry/span_context.h"

namespace idgen::gateway {

struct IdPoolOptions {
  bool coalesce = true;
  uint32_t cap = 1000;                        // most IDs one pooled call fetches
  uint32_t prefetch = 0;                      // IDs kept ready per snowflake namespace; 0: off
  absl::Duration max_age = absl::Seconds(1);  // older ready IDs are dropped
  int max_calls = 2;                          // pooled calls in flight per namespace
  int max_waiting = 1024;                     // requests waiting at once
};

// What a request gets: IDs (status OK), the backend's error, or
// `overloaded` when no backend call could be started (--max-in-flight).
struct IdsResult {
  grpc::Status status;
  bool overloaded = false;
  v1::NextIdsResponse ids;
};

class IdPool {
 public:
  using Done = std::function<void(IdsResult&)>;
  // Starts NextIds(ns, count) with `parent` as the trace parent; false if it
  // could not start (at max in flight). `done` then is never called.
  using FetchDone = std::function<void(const grpc::Status&, v1::NextIdsResponse&)>;
  using Fetch = std::function<bool(const std::string& ns, uint32_t count,
                                   const telemetry::SpanContext& parent, FetchDone done)>;

  struct Stats {
    uint64_t requests = 0;          // answered through the pool (any outcome)
    uint64_t calls = 0;             // backend calls the pool started
    uint64_t bypassed = 0;          // requests sent straight to the backends
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

  // Gets `count` IDs of namespace `ns` (empty: "default") for `done`, with
  // `parent` the caller's span. False (and `done` never called) when
  // `max_waiting` requests already wait.
  [[nodiscard]] bool Take(const std::string& ns, uint32_t count,
                          const telemetry::SpanContext& parent, Done done);

  // Answers every waiting request UNAVAILABLE ("the gateway is stopping"),
  // drops the ready IDs and starts no more calls; later Takes are answered
  // the same at once. Call before destroying the Backends.
  void Close();

  Stats stats() const;
  const IdPoolOptions& options() const { return options_; }

 private:
  struct Waiter {
    uint32_t count;
    Done done;
    telemetry::SpanContext parent;
  };
  struct Block {
    v1::NextIdsResponse ids;
    int next = 0;  // first unused
    absl::Duration fetched_at;
    int size() const { return ids.ids_size() + ids.ids128_size(); }
    int left() const { return size() - next; }
  };
  struct Namespace {
    std::deque<Block> blocks;
    uint64_t ready = 0;  // unused IDs in blocks
    std::deque<Waiter> waiters;
    uint64_t wanted = 0;         // sum of waiters' counts
    int calls = 0;               // pooled calls in flight
    uint64_t requested = 0;      // IDs asked for by those calls
    uint32_t cap = 0;            // halved when a backend says the batch is too big
    bool prefetchable = false;   // the backend said "snowflake"
    bool refill_paused = false;  // the last call failed
  };
  // Work decided under the lock, done after it.
  struct Launch {
    uint32_t count;
    uint64_t for_waiters;
    telemetry::SpanContext parent;
  };
  struct Actions {
    std::vector<std::pair<Done, IdsResult>> answers;
    std::vector<Launch> launches;
  };

  void Run(const std::string& ns, Actions& actions);
  void OnFetched(const std::string& ns, const Launch& launch, const grpc::Status& status,
                 v1::NextIdsResponse& response);
  // Under mu_: drops aged blocks, answers waiters from blocks, decides
  // calls, forgets an idle namespace.
  void Pump(const std::string& ns, Namespace& st, Actions& actions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DropStale(Namespace& st) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ServeWaiters(Namespace& st, Actions& actions) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Answers the first waiters, up to `ids` IDs' worth (at least one).
  void FailWaiters(Namespace& st, uint64_t ids, const IdsResult& result, Actions& actions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static v1::NextIdsResponse Slice(Block& block, uint32_t count);

  const IdPoolOptions options_;
  const Fetch fetch_;
  Clock* const clock_;
  mutable idgen::Mutex mu_;
  std::map<std::string, Namespace> namespaces_ ABSL_GUARDED_BY(mu_);
  size_t waiting_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  Stats counts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace idgen::gateway

#endif  // IDGEN_GATEWAY_ID_POOL_H_
