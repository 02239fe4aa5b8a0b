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
// Time: due times are read from the Clock's monotonic time. The queue's own
// thread waits for them on the real clock, so with a FakeClock use a manual
// queue (CreateManual), which has no thread: the test moves the clock and
// calls RunDue().
//
// Thread-safety: Schedule, RunDue and Stop may be called from any thread
// (Schedule from a task too). Stop is idempotent and called by the
// destructor. The Clock must outlive the queue.
//
// Example (a test):
//   FakeClock clock(absl::UnixEpoch());
//   auto queue = DelayQueue::CreateManual(&clock);
//   queue->Schedule(absl::Milliseconds(5), [](bool on_time) { ... });
//   clock.Advance(absl::Milliseconds(5));
//   queue->RunDue();  // runs the task with `true`
#ifndef IDGEN_GATEWAY_DELAY_QUEUE_H_
#define IDGEN_GATEWAY_DELAY_QUEUE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "idgen/clock.h"
#include "idgen/internal/mutex.h"

namespace idgen::gateway {

class DelayQueue {
 public:
  using Task = std::function<void(bool on_time)>;

  // Starts the queue's thread.
  explicit DelayQueue(Clock* clock = SystemClock::Get());
  // A queue without a thread: tasks run only when RunDue() is called.
  static std::unique_ptr<DelayQueue> CreateManual(Clock* clock);
  ~DelayQueue();
  DelayQueue(const DelayQueue&) = delete;
  DelayQueue& operator=(const DelayQueue&) = delete;

  // Runs `task(true)` after `delay` (negative: as soon as possible), or
  // `task(false)` at once if the queue has stopped.
  void Schedule(absl::Duration delay, Task task);

  // Runs, on the calling thread, every task due by the clock's monotonic
  // time now, in due order; returns how many ran. For manual queues.
  size_t RunDue();

  // Runs every task still due with `false`, then joins the thread.
  void Stop();

  size_t pending() const;

 private:
  struct Manual {};
  DelayQueue(Clock* clock, Manual);

  // (monotonic due time, sequence number): equal times keep their order.
  using Due = std::pair<absl::Duration, uint64_t>;
  void Loop();

  Clock* const clock_;
  mutable idgen::Mutex mu_;
  idgen::CondVar cv_{&mu_};
  std::map<Due, Task> tasks_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace idgen::gateway

#endif  // IDGEN_GATEWAY_DELAY_QUEUE_H_
