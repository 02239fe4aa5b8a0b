// Copyright idgen authors.
#include "src/server/worker_claim.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "idgen/random.h"
#include "src/base/status_macros.h"

namespace idgen::server {

absl::StatusOr<std::shared_ptr<WorkerClaim>> WorkerClaim::Create(
    std::unique_ptr<coord::WorkerLease> lease, const ServerConfig& config,
    const WorkerClaim* previous, Clock* clock) {
  std::shared_ptr<WorkerClaim> claim(new WorkerClaim(std::move(lease), clock));
  const int64_t floor = claim->lease_->floor_unix_ms();
  std::vector<IdNamespace*> raw;
  for (const NamespaceConfig& nc : config.namespaces) {
    if (nc.scheme == Scheme::kSegment) continue;  // the node serves those itself
    IdNamespace* before = previous != nullptr ? previous->Find(nc.name) : nullptr;
    std::shared_ptr<IdNamespace> ns;
    if (before != nullptr && nc.scheme != Scheme::kSnowflake) {
      // Not tied to the worker id: keep it, and with it its monotonic state.
      for (const auto& p : previous->namespaces_) {
        if (p.get() == before) ns = p;
      }
    } else {
      // Above the new id's reservation and above what this node issued before.
      const int64_t after =
          std::max(floor, before != nullptr ? before->last_issued_unix_ms() : int64_t{0});
      IDGEN_ASSIGN_OR_RETURN(std::unique_ptr<IdNamespace> made,
                             IdNamespace::Create(nc, claim->lease_->worker_id(), after, after,
                                                 clock, OsRandom::Default()));
      ns = std::move(made);
    }
    raw.push_back(ns.get());
    claim->by_name_[nc.name] = ns.get();
    claim->namespaces_.push_back(std::move(ns));
  }
  claim->keeper_ = std::make_unique<ReservationKeeper>(claim->lease_.get(), std::move(raw), clock,
                                                       config.reservation_ahead);
  if (absl::Status s = claim->keeper_->RaiseNow(); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("cannot store the time reservation of worker id ",
                                               claim->lease_->worker_id(), ": ", s.message()));
  }
  return claim;
}

WorkerClaim::~WorkerClaim() {
  if (keeper_) keeper_->Stop();
}

void WorkerClaim::Start() { keeper_->Start(); }

void WorkerClaim::Retire() {
  keeper_->Stop();
  (void)lease_->Release();
}

absl::Status WorkerClaim::SettleAndRelease() {
  keeper_->Stop();
  absl::Status result;
  if (lease_->Held()) {
    int64_t high = lease_->floor_unix_ms();
    for (const auto& ns : namespaces_) high = std::max(high, ns->last_issued_unix_ms());
    result = lease_->Settle(high);
  }
  if (absl::Status s = lease_->Release(); !s.ok() && result.ok()) result = s;
  return result;
}

IdNamespace* WorkerClaim::Find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

absl::Status WorkerClaim::Ready() const {
  if (!lease_->Held()) {
    const coord::LeaseStatus ls = lease_->Status();
    return absl::UnavailableError(absl::StrCat("worker id ", lease_->worker_id(),
                                               " is no longer held (", ls.detail,
                                               "); claiming a worker id again"));
  }
  const int64_t now = clock_->WallUnixMillis();
  const int64_t reserved = keeper_->reserved_until_ms();
  if (reserved <= now) {
    absl::Status err = keeper_->last_error();
    return absl::UnavailableError(absl::StrCat(
        "time reservation (", reserved, " ms) is behind the clock (", now,
        " ms): the reservation store is failing", err.ok() ? "" : ": ", err.message()));
  }
  for (const auto& ns : namespaces_) {
    SnowflakeGenerator* gen = ns->snowflake();
    if (gen == nullptr || gen->ObserveClock() != ClockState::kRefusing) continue;
    return absl::UnavailableError(absl::StrCat(
        "namespace ", ns->name(), ": wall clock is ", gen->clock_lag_ms(),
        " ms behind the last issued ID or the stored reservation, beyond the borrow bound of ",
        absl::ToInt64Milliseconds(ns->config().clock.max_borrow),
        " ms; refusing until the clock catches up"));
  }
  return absl::OkStatus();
}

}  // namespace idgen::server
