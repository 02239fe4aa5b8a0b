// Copyright idgen authors.
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "idgen/internal/mutex.h"

namespace idgen {
namespace {

// A latch written the way the tree's waiting classes are: state guarded by
// the mutex, a CondVar bound to it.
class Gate {
 public:
  void Open() {
    MutexLock lock(&mu_);
    open_ = true;
    cv_.SignalAll();
  }
  void AwaitOpen() {
    MutexLock lock(&mu_);
    ++waiting_;
    cv_.SignalAll();  // tell AwaitWaiters
    while (!open_) cv_.Wait();
    --waiting_;
  }
  void AwaitWaiters(int n) {
    MutexLock lock(&mu_);
    while (waiting_ < n) cv_.Wait();
  }
  // Waits up to `timeout` for Open(); true if it timed out first.
  bool AwaitOpenFor(absl::Duration timeout) {
    MutexLock lock(&mu_);
    ++waiting_;
    cv_.SignalAll();
    bool timed_out = false;
    while (!open_ && !timed_out) timed_out = cv_.WaitFor(timeout);
    --waiting_;
    return timed_out && !open_;
  }

 private:
  Mutex mu_;
  CondVar cv_{&mu_};
  bool open_ ABSL_GUARDED_BY(mu_) = false;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST(CondVarTest, SignalAllWakesEveryWaiter) {
  Gate gate;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&gate] { gate.AwaitOpen(); });
  gate.AwaitWaiters(4);  // all four hold no lock while they wait
  gate.Open();
  for (std::thread& t : threads) t.join();
}

TEST(CondVarTest, SignalWakesOneWaiter) {
  Mutex mu;
  CondVar cv(&mu);
  int tokens = 0;  // guarded by mu (a local: the analysis does not see it)
  int taken = 0;
  std::thread consumer([&] {
    MutexLock lock(&mu);
    while (tokens == 0) cv.Wait();
    --tokens;
    ++taken;
  });
  {
    MutexLock lock(&mu);
    ++tokens;
    cv.Signal();
  }
  consumer.join();
  MutexLock lock(&mu);
  EXPECT_EQ(taken, 1);
  EXPECT_EQ(tokens, 0);
}

TEST(CondVarTest, WaitForWithoutTimeLeftTimesOutAtOnce) {
  Gate gate;
  EXPECT_TRUE(gate.AwaitOpenFor(absl::ZeroDuration()));
  EXPECT_TRUE(gate.AwaitOpenFor(-absl::Seconds(1)));
}

TEST(CondVarTest, WaitForReturnsBeforeItsTimeoutWhenSignalled) {
  Gate gate;
  bool timed_out = true;
  // An hour: if the signal were lost the test would hang, not pass.
  std::thread waiter([&] { timed_out = gate.AwaitOpenFor(absl::Hours(1)); });
  gate.AwaitWaiters(1);
  gate.Open();
  waiter.join();
  EXPECT_FALSE(timed_out);
}

TEST(CondVarTest, WaitForAfterOpenDoesNotWait) {
  Gate gate;
  gate.Open();
  EXPECT_FALSE(gate.AwaitOpenFor(absl::Hours(1)));
}

}  // namespace
}  // namespace idgen
