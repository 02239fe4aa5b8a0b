// Copyright idgen authors.
//
// WorkerClaim: one claimed worker id and everything built on it: the lease,
// the namespaces' generators under that id, and the ReservationKeeper that
// keeps the id's time reservation ahead of the clock.
//
// A node holds one claim at a time. When the lease is lost (fenced), the node
// retires the claim and builds a new one on a fresh lease, possibly for
// another worker id; calls still running on the old claim keep it alive
// through their shared_ptr and stay bounded by its reservation (promise 3),
// so a claim never needs to be torn down under a running call.
//
// Continuity across claims (promise 2: IDs from one node increase): a new
// claim's snowflake generators start above both the new id's stored
// reservation and whatever the previous claim issued, and the UUIDv7/ULID
// generators (which do not depend on the worker id) are carried over.
//
// Thread-safety: everything may be called concurrently except Start/Retire/
// SettleAndRelease, which the node calls from one thread.
#ifndef IDGEN_SERVER_WORKER_CLAIM_H_
#define IDGEN_SERVER_WORKER_CLAIM_H_

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "idgen/clock.h"
#include "src/coord/worker_lease.h"
#include "src/server/id_namespace.h"
#include "src/server/reservation_keeper.h"
#include "src/server/server_config.h"

namespace idgen::server {

class WorkerClaim {
 public:
  // Builds the namespaces on `lease` and durably raises the reservation once
  // (so the claim can issue as soon as it is published). `previous` (may be
  // null) is the claim this one replaces. Errors: a namespace that does not
  // fit the worker id, or the reservation store failing.
  [[nodiscard]] static absl::StatusOr<std::shared_ptr<WorkerClaim>> Create(
      std::unique_ptr<coord::WorkerLease> lease, const ServerConfig& config,
      const WorkerClaim* previous, Clock* clock);
  ~WorkerClaim();
  WorkerClaim(const WorkerClaim&) = delete;
  WorkerClaim& operator=(const WorkerClaim&) = delete;

  // Starts keeping the reservation ahead (background thread).
  void Start();
  // Stops the keeper and gives the worker id back (best effort: a fenced
  // etcd lease has usually been revoked already). The generators stay usable
  // up to the reservation they already have.
  void Retire();
  // Clean shutdown, after every call has finished: stores a reservation that
  // covers exactly what was issued, then releases the id.
  [[nodiscard]] absl::Status SettleAndRelease();

  coord::WorkerLease& lease() const { return *lease_; }
  int64_t worker_id() const { return lease_->worker_id(); }
  // The namespace called `name` (already resolved: "default" for ""), or
  // null when the config has no such namespace. Segment namespaces need no
  // worker id: the node serves them itself, so they are not here.
  IdNamespace* Find(const std::string& name) const;
  const std::vector<std::shared_ptr<IdNamespace>>& namespaces() const { return namespaces_; }
  int64_t reserved_until_ms() const { return keeper_->reserved_until_ms(); }

  // OK when this claim may issue now; UNAVAILABLE saying why not (lease lost,
  // reservation behind the clock, clock refusing in a namespace).
  [[nodiscard]] absl::Status Ready() const;

 private:
  WorkerClaim(std::unique_ptr<coord::WorkerLease> lease, Clock* clock)
      : lease_(std::move(lease)), clock_(clock) {}

  std::unique_ptr<coord::WorkerLease> lease_;
  Clock* const clock_;
  std::vector<std::shared_ptr<IdNamespace>> namespaces_;
  std::unordered_map<std::string, IdNamespace*> by_name_;
  std::unique_ptr<ReservationKeeper> keeper_;
};

}  // namespace idgen::server

#endif  // IDGEN_SERVER_WORKER_CLAIM_H_
