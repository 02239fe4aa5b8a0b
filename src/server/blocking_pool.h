// Copyright idgen authors.
//
// BlockingPool: a few threads for the calls that may wait, so that they do
// not hold the gRPC queue threads every other call needs.
//
// A node serves every method from a small number of completion-queue
// threads (one by default). A call on a `segment` namespace whose buffer is
// empty waits for the lease in flight (SegmentBuffer::WouldWait), up to a
// second when the store is slow to answer; on a queue thread that wait would
// stall the node's snowflake calls and health checks with it. Such calls run
// here instead: while the store is slow, segment calls queue up behind the
// pool's threads (the node uses one), and everything else is still answered
// at once.
//
// The threads are named `name`-0, `name`-1, ... for top -H and perf.
//
// Run() never blocks. Tasks run in the order given, on any of the threads.
// The destructor runs what is still queued, then joins: a task must end by
// itself (the calls here wait at most the buffer's wait timeout).
//
// Thread-safety: Run from any thread; destroy from a thread that is not one
// of the pool's.
#ifndef IDGEN_SERVER_BLOCKING_POOL_H_
#define IDGEN_SERVER_BLOCKING_POOL_H_

#include <deque>
#include <functional>
#include <string_view>
#include <thread>
#include <vector>

#include "idgen/internal/mutex.h"

namespace idgen::server {

class BlockingPool {
 public:
  BlockingPool(int threads, std::string_view name);
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  void Run(std::function<void()> task);

 private:
  void Loop();

  Mutex mu_;
  CondVar ready_{&mu_};
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace idgen::server

#endif  // IDGEN_SERVER_BLOCKING_POOL_H_
