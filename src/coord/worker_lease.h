// Copyright idgen authors.
//
// WorkerLease / LeaseProvider: how a node obtains a worker id that no other
// live node holds, together with the durable time reservation of promise 3.
//
//   * Acquire() claims a worker id and reads its stored reservation: IDs under
//     that worker must carry timestamps strictly above floor_unix_ms().
//   * Reserve(t) durably stores "this worker may issue up to t" before the
//     caller lets any ID reach t. It fails once the claim is lost, so a node
//     that lost its worker id cannot raise the reservation any further.
//   * Release() gives the worker id back (the reservation stays stored).
//
// Implementations: FileLeaseProvider (embedded, one machine, flock + fsync)
// and, for clusters, an etcd provider with the same contract.
//
// Thread-safety: a WorkerLease may be used from several threads; Reserve()
// calls are serialised by the implementation.
#ifndef IDGEN_COORD_WORKER_LEASE_H_
#define IDGEN_COORD_WORKER_LEASE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace idgen::coord {

// What a lease looks like from outside, for GetInfo and /health.
struct LeaseStatus {
  std::string backend;  // "file" or "etcd"
  std::string state;    // "held", "fenced", "released"
  int64_t lease_id = 0;
  int64_t ttl_left_ms = -1;  // -1: no expiry (file leases)
  std::string detail;
};

class WorkerLease {
 public:
  virtual ~WorkerLease() = default;

  virtual int64_t worker_id() const = 0;
  // The reservation stored when the id was claimed; IDs must be above it.
  virtual int64_t floor_unix_ms() const = 0;
  // Durably raises the reservation to `unix_ms` (no-op if not higher).
  // FAILED_PRECONDITION when the claim has been lost or released; other
  // errors when the store could not be written (nothing was promised then).
  [[nodiscard]] virtual absl::Status Reserve(int64_t unix_ms) = 0;
  // Durably stores exactly `unix_ms`, which may be LOWER than the current
  // reservation. Only for a clean shutdown: the caller promises that no ID
  // above `unix_ms` was issued under this claim (and `unix_ms` >= floor).
  // Lets a node restarted right after a clean stop serve at once.
  [[nodiscard]] virtual absl::Status Settle(int64_t unix_ms) = 0;
  // The highest reservation durably stored by this lease.
  virtual int64_t reserved_unix_ms() const = 0;
  // True while the claim is known to be held.
  virtual bool Held() const = 0;
  virtual LeaseStatus Status() const = 0;
  // Frees the worker id. Idempotent.
  [[nodiscard]] virtual absl::Status Release() = 0;
};

struct AcquireOptions {
  // A specific worker id, or nullopt for the first free one.
  std::optional<int64_t> worker_id;
  // Worker ids are min_worker..max_workers-1: max_workers from the
  // namespaces' layouts, min_worker from --worker-ids (0 without it).
  int64_t min_worker = 0;
  int64_t max_workers = 1024;
  // Written next to the claim so operators can see who holds it.
  std::string node_name;
  std::string node_address;
};

// INVALID_ARGUMENT unless 0 <= min_worker < max_workers and a requested
// worker id is in min_worker..max_workers-1. Every LeaseProvider checks this
// first.
[[nodiscard]] inline absl::Status ValidateAcquireOptions(const AcquireOptions& options) {
  if (options.max_workers < 1) {
    return absl::InvalidArgumentError("max_workers must be at least 1");
  }
  if (options.min_worker < 0 || options.min_worker >= options.max_workers) {
    return absl::InvalidArgumentError(absl::StrCat("lowest worker id ", options.min_worker,
                                                   " is outside 0..", options.max_workers - 1));
  }
  if (options.worker_id &&
      (*options.worker_id < options.min_worker || *options.worker_id >= options.max_workers)) {
    return absl::InvalidArgumentError(
        absl::StrCat("worker id ", *options.worker_id, " is out of range ", options.min_worker,
                     "..", options.max_workers - 1,
                     options.min_worker > 0 ? " allowed by --worker-ids"
                                            : " allowed by the configured layouts"));
  }
  return absl::OkStatus();
}

class LeaseProvider {
 public:
  virtual ~LeaseProvider() = default;
  // ALREADY_EXISTS if a requested id is taken; RESOURCE_EXHAUSTED if every id
  // is taken; other errors if the store is unusable. Messages say what to do.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<WorkerLease>> Acquire(
      const AcquireOptions& options) = 0;
};

}  // namespace idgen::coord

#endif  // IDGEN_COORD_WORKER_LEASE_H_
