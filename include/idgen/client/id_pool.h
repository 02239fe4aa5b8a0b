// Copyright idgen authors.
//
// IdPool: IDs of one namespace kept ready in this process, so that most
// Next() calls touch no network (the client side of Tinyid's and Baidu's
// buffers). Made by Client::Pool.
//
// Refills: when fewer than PoolOptions::low_water IDs are ready, one
// background NextIds(batch) call starts; never more than one at a time per
// pool. A Next() that finds nothing ready waits for that call (up to
// PoolOptions::wait) and fails with its status if it fails. After a failed
// refill the next one waits a backoff (20 ms, doubling to 2 s, reset by a
// success): a down node gets a few calls a second from a pool, not a storm.
//
// What it promises:
//   * No ID is handed out twice, within a pool or across pools and
//     processes (the nodes' promise; the pool only hands out what it got).
//   * Order: one Next(n) answer is strictly increasing. Successive answers
//     are increasing as long as each refill comes from the same node and
//     the node's clock does not step back past its guard; with several
//     nodes (round robin) a later refill may hold smaller IDs.
//   * Age: an ID of a time-based scheme is handed out at most
//     PoolOptions::max_age after the refill that fetched it; older ones are
//     dropped.
//   * Gaps, never duplicates: IDs dropped for age, those left in the pool
//     when it is destroyed (or the process exits), and the remainder of a
//     batch too short for a Next(n) are never used by anyone.
//
// Only namespaces of 64-bit schemes (snowflake and its layouts, segment):
// Next() on another fails with FAILED_PRECONDITION.
//
// Thread-safety: all methods may be called concurrently; copies share one
// pool. The last copy's destruction waits for a refill in flight to finish
// (at most the call's deadline).
#ifndef IDGEN_CLIENT_ID_POOL_H_
#define IDGEN_CLIENT_ID_POOL_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "idgen/client/export.h"
#include "idgen/client/status.h"

namespace idgen::client {

struct PoolStats {
  uint64_t ready = 0;            // IDs ready now
  uint64_t requests = 0;         // Next() calls answered from the pool
  uint64_t refills = 0;          // NextIds calls made
  uint64_t refill_failures = 0;  // of which failed
  uint64_t dropped_stale = 0;    // IDs dropped for age
  uint64_t dropped_unused = 0;   // IDs dropped otherwise (gaps)
};

class IDGEN_CLIENT_API IdPool {
 public:
  StatusOr<uint64_t> Next();
  // `count` IDs (1..batch), strictly increasing.
  StatusOr<std::vector<uint64_t>> Next(uint32_t count);
  PoolStats Stats() const;

  class State;  // the implementation
  explicit IdPool(std::shared_ptr<State> state) : state_(std::move(state)) {}

 private:
  std::shared_ptr<State> state_;
};

}  // namespace idgen::client

#endif  // IDGEN_CLIENT_ID_POOL_H_
