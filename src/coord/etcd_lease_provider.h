// Copyright idgen authors.
//
// EtcdLeaseProvider: worker-id leases and time reservations for a cluster of
// nodes, kept in etcd v3 (the LeaseProvider contract of worker_lease.h).
//
// Keys, per cluster name C:
//   /idgen/C/workers/<id>       JSON {node, address, pid, start_time_ms (wall
//                               clock at the claim), lease_id}; bound to the
//                               holder's etcd lease, so it disappears when the
//                               lease expires or is revoked
//   /idgen/C/reservations/<id>  decimal Unix ms; NOT bound to a lease: it
//                               outlives every holder and only ever rises
//
// Acquire grants a lease (TTL whole seconds, >= 2 s), then claims an id with a
// txn `create_revision(workers/<id>) == 0` that also reads reservations/<id>,
// so the floor is read atomically with the claim. Without a requested id the
// scan starts at a random id and wraps, skipping ids already listed as taken.
//
// Reserve(t) is a txn guarded by "workers/<id> is still bound to my lease and
// was created by my claim" and "reservations/<id> has not changed since I last
// wrote or read it"; so only the current holder raises it, and never lowers it.
// Settle(t) (clean shutdown only) writes exactly t, >= floor, under the same guard.
//
// Self-fencing (promise 4): a keepalive thread renews the lease every ttl/3 and
// records, on the injected Clock's monotonic time, when the last acknowledged
// keepalive was SENT (etcd's expiry is at least that time plus the TTL). Held()
// turns false once `now - last_ack > ttl - safety_margin`, or once etcd reports
// the lease gone, or a Reserve finds the claim lost; it never turns true again
// (the node acquires anew). A fenced lease stops its keepalives and revokes its
// etcd lease (best effort) so the id is free for others.
//
// Release() stops the keepalives and revokes the lease: the id is free at once;
// the reservation stays.
//
// Thread-safety: Acquire may be called concurrently; leases as in
// worker_lease.h. A lease keeps its own reference to the etcd client, so it
// may outlive the provider.
//
// Example:
//   auto provider = EtcdLeaseProvider::Create(
//       {.endpoints = {"http://10.0.0.1:2379", "http://10.0.0.2:2379"}, .cluster = "prod"});
//   auto lease = (*provider)->Acquire({.max_workers = 1024, .node_name = "node-a"});
//   if (!(*lease)->Held()) { /* stop issuing */ }
#ifndef IDGEN_COORD_ETCD_LEASE_PROVIDER_H_
#define IDGEN_COORD_ETCD_LEASE_PROVIDER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "idgen/clock.h"
#include "src/coord/etcd_client.h"
#include "src/coord/worker_lease.h"

namespace idgen::coord {

struct EtcdLeaseOptions {
  // "http://host:port" (or "host:port"), tried in order on failure.
  std::vector<std::string> endpoints;
  // Namespace of the keys; letters, digits, '-', '_' and '.'.
  std::string cluster = "default";
  // Lease time-to-live: whole seconds, at least 2 s (INVALID_ARGUMENT else).
  absl::Duration ttl = absl::Seconds(10);
  // Fencing happens this long before the lease could expire at etcd. Zero:
  // max(500 ms, ttl / 5). Must leave ttl - margin above the keepalive
  // interval (ttl / 3).
  absl::Duration safety_margin = absl::ZeroDuration();
  // Not owned; must outlive the provider and its leases. Null: SystemClock.
  Clock* clock = nullptr;
  EtcdClient::Options client;
  // Create() checks that the client may read and write /idgen/<cluster>/
  // (an etcd user whose role lacks it is a start-up error, not a node that
  // retries for ever). Skipped with a client.dial_timeout of zero (then
  // nothing is contacted at Create).
  bool check_access = true;
};

class EtcdLeaseProvider final : public LeaseProvider {
 public:
  // INVALID_ARGUMENT for bad options; errors of EtcdClient::Create (e.g.
  // UNAVAILABLE when no endpoint answers within client.dial_timeout,
  // UNAUTHENTICATED for a wrong etcd password); PERMISSION_DENIED naming the
  // user and the prefix when the etcd user may not read or write
  // /idgen/<cluster>/; UNAUTHENTICATED when etcd has authentication enabled
  // and no user was given.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<EtcdLeaseProvider>> Create(
      EtcdLeaseOptions options);

  // As LeaseProvider::Acquire. The ALREADY_EXISTS message quotes the holder's
  // JSON; RESOURCE_EXHAUSTED revokes the lease it granted. Errors talking to
  // etcd come back as UNAVAILABLE / DEADLINE_EXCEEDED naming the endpoints.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<WorkerLease>> Acquire(
      const AcquireOptions& options) override;

  // "/idgen/<cluster>/workers/<id>" and "/idgen/<cluster>/reservations/<id>".
  std::string WorkerKey(int64_t id) const;
  std::string ReservationKey(int64_t id) const;

  // The provider's etcd client, for other state of the node kept in etcd
  // (segment counters): one connection set per node.
  std::shared_ptr<EtcdClient> client() const { return client_; }
  const std::string& cluster() const { return options_.cluster; }

  absl::Duration ttl() const { return options_.ttl; }
  absl::Duration safety_margin() const { return options_.safety_margin; }

 private:
  EtcdLeaseProvider(EtcdLeaseOptions options, std::shared_ptr<EtcdClient> client)
      : options_(std::move(options)), client_(std::move(client)) {}

  [[nodiscard]] absl::Status AllTaken(const AcquireOptions& options) const;

  const EtcdLeaseOptions options_;  // normalised: margin and clock set
  const std::shared_ptr<EtcdClient> client_;
};

}  // namespace idgen::coord

#endif  // IDGEN_COORD_ETCD_LEASE_PROVIDER_H_
