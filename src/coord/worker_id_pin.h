// Copyright idgen authors.
//
// Pinning a cluster to one worker-id range: the first node started with
// --worker-ids records its range next to the claims, and every later node of
// the same cluster must be started with the same range (or none may be given
// while none is recorded). This catches, at start, a node whose configuration
// drifted into another region's range: such a node exits with the reason
// instead of claiming ids that another cluster on another etcd may hold.
// Clusters on different etcds cannot see each other's record; keeping their
// ranges disjoint is the operator's part (docs/DEPLOYMENT.md).
//
//   PinWorkerIdsInDir(workers_dir, range): embedded mode; the record is the
//     file <workers_dir>/worker-ids ("LO-HI\n"), written atomically.
//
// Errors: INVALID_ARGUMENT naming --worker-ids and the recorded range when
// the node's range (or its absence) differs from the record; INTERNAL/
// FAILED_PRECONDITION naming the path when the file cannot be read or written.
// Nothing is written unless the check passes and no record exists yet.
//
// Thread-safety: two first nodes racing on an empty dir may both write their
// record (the last one stays); start the first node of a cluster alone.
#ifndef IDGEN_COORD_WORKER_ID_PIN_H_
#define IDGEN_COORD_WORKER_ID_PIN_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/coord/worker_id_range.h"

namespace idgen::coord {

// Compares the node's range with a recorded one ("LO-HI" text, empty: none
// recorded); `where` names the record in messages. Shared by both stores.
[[nodiscard]] absl::Status CompareWithPinnedRange(const std::optional<WorkerIdRange>& range,
                                                  const std::string& recorded,
                                                  const std::string& where);

[[nodiscard]] absl::Status PinWorkerIdsInDir(const std::string& workers_dir,
                                             const std::optional<WorkerIdRange>& range);

}  // namespace idgen::coord

#endif  // IDGEN_COORD_WORKER_ID_PIN_H_
