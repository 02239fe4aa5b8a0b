// Copyright idgen authors.
//
// Mutex / MutexLock / CondVar: a std::mutex and std::condition_variable with
// Clang thread-safety annotations, in the shape of leveldb's port::Mutex and
// port::CondVar.
//
// Why not absl::Mutex: Debian's abseil is not built with ThreadSanitizer, so
// TSan cannot see absl::Mutex's happens-before edges and reports false races.
// std::mutex goes through pthreads, which TSan intercepts. The annotations
// keep -Wthread-safety checking ABSL_GUARDED_BY members as before.
//
// A class that waits for a condition keeps its state ABSL_GUARDED_BY(mu_)
// and waits through a CondVar bound to that mutex, inside a MutexLock:
//
//   idgen::Mutex mu_;
//   idgen::CondVar cv_{&mu_};
//   bool ready_ ABSL_GUARDED_BY(mu_) = false;
//
//   void AwaitReady() {
//     idgen::MutexLock lock(&mu_);
//     while (!ready_) cv_.Wait();
//   }
//   void SetReady() {
//     idgen::MutexLock lock(&mu_);
//     ready_ = true;
//     cv_.SignalAll();
//   }
//
// Thread-safety: these are the synchronisation primitives.
#ifndef IDGEN_INTERNAL_MUTEX_H_
#define IDGEN_INTERNAL_MUTEX_H_

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"

namespace idgen {

class CondVar;

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds `mu` for the lifetime of the object.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A condition variable bound, for its whole life, to one Mutex (which must
// outlive it). Wait* must be called with that mutex held; they release it
// while blocked and hold it again when they return. Wake-ups may be spurious:
// always wait in a loop on the guarded condition.
//
// Annotations: the state a waiter looks at stays ABSL_GUARDED_BY(mu_) of
// the owning class and -Wthread-safety checks every access to it, because
// the waiter holds the mutex through a MutexLock around the wait. Wait* are
// not themselves annotated with the bound mutex: Clang's analysis does not
// follow aliases, so it cannot see that `cv_.mu_` and the caller's `mu_` are
// the same lock and would flag every correct caller.
//
// Timed waits use the real monotonic clock (std::chrono::steady_clock): a
// condition variable cannot sleep on a FakeClock. Code that must be tested on
// a FakeClock computes its deadlines from its Clock and treats a timed-out
// wait only as "look at the clock again".
class CondVar {
 public:
  explicit CondVar(Mutex* mu) : mu_(mu) {}
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Blocks until signalled (or a spurious wake-up).
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // the caller's MutexLock still owns the mutex
  }

  // Blocks until signalled or until `timeout` of real monotonic time has
  // passed (a non-positive timeout only releases and retakes the mutex).
  // Returns true if it timed out.
  bool WaitFor(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_->mu_, std::adopt_lock);
    const std::cv_status s =
        cv_.wait_for(lock, absl::ToChronoNanoseconds(std::max(timeout, absl::ZeroDuration())));
    lock.release();
    return s == std::cv_status::timeout;
  }

  // Wakes one waiter / all waiters. May be called with or without the mutex.
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  Mutex* const mu_;
  std::condition_variable cv_;
};

}  // namespace idgen

#endif  // IDGEN_INTERNAL_MUTEX_H_
