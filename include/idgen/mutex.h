// Copyright idgen authors.
//
// Mutex / MutexLock: a std::mutex with Clang thread-safety annotations.
//
// Why not absl::Mutex: Debian's abseil is not built with ThreadSanitizer, so
// TSan cannot see absl::Mutex's happens-before edges and reports false races.
// std::mutex goes through pthreads, which TSan intercepts. The annotations
// keep -Wthread-safety checking ABSL_GUARDED_BY members as before.
//
// Thread-safety: it is a mutex.
#ifndef IDGEN_MUTEX_H_
#define IDGEN_MUTEX_H_

#include <mutex>

#include "absl/base/thread_annotations.h"

namespace idgen {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }

 private:
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

}  // namespace idgen

#endif  // IDGEN_MUTEX_H_
