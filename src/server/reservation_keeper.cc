// Copyright idgen authors.
#include "src/server/reservation_keeper.h"

#include <algorithm>
#include <iostream>

namespace idgen::server {

ReservationKeeper::ReservationKeeper(coord::WorkerLease* lease,
                                     std::vector<IdNamespace*> namespaces, Clock* clock,
                                     absl::Duration ahead, absl::Duration tick)
    : lease_(lease), namespaces_(std::move(namespaces)), clock_(clock), ahead_(ahead), tick_(tick) {
  idgen::MutexLock lock(&mu_);
  applied_ms_ = lease_->reserved_unix_ms();
}

ReservationKeeper::~ReservationKeeper() { Stop(); }

int64_t ReservationKeeper::HighWaterMs() {
  int64_t high = clock_->WallUnixMillis();
  for (IdNamespace* ns : namespaces_) high = std::max(high, ns->last_issued_unix_ms());
  // Never below what the previous holder reserved.
  return std::max(high, lease_->floor_unix_ms());
}

absl::Status ReservationKeeper::MaybeRaise(bool force) {
  const int64_t high = HighWaterMs();
  const int64_t ahead_ms = absl::ToInt64Milliseconds(ahead_);
  const int64_t reserved = lease_->reserved_unix_ms();
  if (!force && reserved - high >= ahead_ms / 2) return absl::OkStatus();
  const int64_t target = high + ahead_ms;
  absl::Status s = lease_->Reserve(target);
  {
    idgen::MutexLock lock(&mu_);
    last_error_ = s;
    if (!s.ok()) return s;
    applied_ms_ = target;
  }
  // Durable now; only now may the generators use it.
  for (IdNamespace* ns : namespaces_) ns->SetReservedUntil(target);
  return absl::OkStatus();
}

absl::Status ReservationKeeper::RaiseNow() { return MaybeRaise(/*force=*/true); }

void ReservationKeeper::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void ReservationKeeper::Loop() {
  absl::Status previous;
  while (!stop_.WaitForNotificationWithTimeout(tick_)) {
    absl::Status s = MaybeRaise(/*force=*/false);
    if (!s.ok() && s.ToString() != previous.ToString()) {
      std::cerr << "idgen: raising the time reservation failed: " << s << "\n";
    }
    previous = s;
  }
}

void ReservationKeeper::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

int64_t ReservationKeeper::reserved_until_ms() const {
  idgen::MutexLock lock(&mu_);
  return applied_ms_;
}

absl::Status ReservationKeeper::last_error() const {
  idgen::MutexLock lock(&mu_);
  return last_error_;
}

}  // namespace idgen::server
