// Copyright idgen authors.
//
// FileLeaseProvider: embedded coordination for nodes on one machine that
// share a state directory. No servers needed.
//
//   <state-dir>/workers/<id>.lock         flock(2)ed exclusively by the holder;
//                                         holds a line saying who (name, pid)
//   <state-dir>/workers/<id>.reservation  "reserved_until_ms <n>\n", replaced
//                                         atomically (write temp, fsync,
//                                         rename, fsync dir) on each raise
//
// flock locks die with the process, so a node killed with SIGKILL frees its
// id at once; its reservation file stays, and the next holder starts above it.
// Two nodes on one state dir therefore never share a worker id, and a node
// restarted with its clock behind never reuses a timestamp.
//
// Thread-safety: Acquire may be called concurrently (the kernel arbitrates).
#ifndef IDGEN_COORD_FILE_LEASE_PROVIDER_H_
#define IDGEN_COORD_FILE_LEASE_PROVIDER_H_

#include <string>

#include "src/coord/worker_lease.h"

namespace idgen::coord {

class FileLeaseProvider final : public LeaseProvider {
 public:
  // Creates `state_dir`/workers if needed; errors name the path and errno.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<FileLeaseProvider>> Create(
      const std::string& state_dir);

  [[nodiscard]] absl::StatusOr<std::unique_ptr<WorkerLease>> Acquire(
      const AcquireOptions& options) override;

  const std::string& workers_dir() const { return workers_dir_; }

 private:
  explicit FileLeaseProvider(std::string workers_dir) : workers_dir_(std::move(workers_dir)) {}

  std::string workers_dir_;
};

// Reads a reservation file; 0 if it does not exist. Exposed for tests and
// `idgen` tooling. DATA_LOSS if it exists but cannot be parsed.
[[nodiscard]] absl::StatusOr<int64_t> ReadReservationFile(const std::string& path);

}  // namespace idgen::coord

#endif  // IDGEN_COORD_FILE_LEASE_PROVIDER_H_
