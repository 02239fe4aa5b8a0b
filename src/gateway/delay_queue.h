// Copyright idgen authors.
//
// DelayQueue: runs short tasks after a delay on one thread of its own. The
// gateway uses it for retry backoff: a gRPC callback must not sleep, so it
// schedules the next attempt here instead.
//
// A task gets `true` when it runs at its time, `false` when the queue stops
// first (it must then finish the work it stands for without starting more,
// e.g. answer with the last error). Every scheduled task runs exactly once.
// Tasks run one at a time, in due order, and must not block.
//
// Thread-safety: Schedule and Stop may be called from any thread (Schedule
// from a task too). Stop is idempotent and called by the destructor.
#ifndef IDGEN_GATEWAY_DELAY_QUEUE_H_
#define IDGEN_GATEWAY_DELAY_QUEUE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "idgen/mutex.h"

namespace idgen::gateway {

class DelayQueue {
 public:
  using Task = std::function<void(bool on_time)>;

  DelayQueue();
  ~DelayQueue();
  DelayQueue(const DelayQueue&) = delete;
  DelayQueue& operator=(const DelayQueue&) = delete;

  // Runs `task(true)` after `delay` (negative: as soon as possible), or
  // `task(false)` at once if the queue has stopped.
  void Schedule(absl::Duration delay, Task task);

  // Runs every task still due with `false`, then joins the thread.
  void Stop();

  size_t pending() const;

 private:
  using Due = std::pair<std::chrono::steady_clock::time_point, uint64_t>;
  void Loop();

  mutable idgen::Mutex mu_;
  idgen::CondVar cv_{&mu_};
  std::map<Due, Task> tasks_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;  // keeps equal times in order
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace idgen::gateway

#endif  // IDGEN_GATEWAY_DELAY_QUEUE_H_
