// Copyright idgen authors.
//
// ReservationKeeper: keeps the worker's durable time reservation (promise 3)
// ahead of the wall clock, so the ID hot path never waits on the store.
//
// Every `tick` it looks at the headroom, reserved - max(now, last issued).
// When that is below half of `ahead` it durably raises the reservation to
// max(now, last issued) + ahead through the WorkerLease, and only after the
// store confirms does it let the generators use the new bound. If the store
// fails, the generators keep the old bound and stop at it: nothing is issued
// that is not covered by a durable reservation.
//
// Thread-safety: Start/Stop from one thread; the accessors from any.
#ifndef IDGEN_SERVER_RESERVATION_KEEPER_H_
#define IDGEN_SERVER_RESERVATION_KEEPER_H_

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "idgen/clock.h"
#include "idgen/internal/mutex.h"
#include "src/coord/worker_lease.h"
#include "src/server/id_namespace.h"

namespace idgen::server {

class ReservationKeeper {
 public:
  ReservationKeeper(coord::WorkerLease* lease, std::vector<IdNamespace*> namespaces, Clock* clock,
                    absl::Duration ahead, absl::Duration tick = absl::Milliseconds(50));
  ~ReservationKeeper();

  // Raises the reservation once, synchronously; call before serving.
  [[nodiscard]] absl::Status RaiseNow();
  // Starts the background thread.
  void Start();
  // Stops it (idempotent).
  void Stop();

  // The bound the generators currently use (Unix ms).
  int64_t reserved_until_ms() const;
  // OK, or why the last raise failed.
  [[nodiscard]] absl::Status last_error() const;

 private:
  [[nodiscard]] absl::Status MaybeRaise(bool force);
  int64_t HighWaterMs();
  void Loop();

  coord::WorkerLease* const lease_;
  const std::vector<IdNamespace*> namespaces_;
  Clock* const clock_;
  const absl::Duration ahead_;
  const absl::Duration tick_;

  mutable idgen::Mutex mu_;
  int64_t applied_ms_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace idgen::server

#endif  // IDGEN_SERVER_RESERVATION_KEEPER_H_
