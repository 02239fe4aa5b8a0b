// Copyright idgen authors.
//
// WorkerIdRange: the worker ids a node may claim (`idgen serve --worker-ids
// LO-HI`), so that several clusters with their own etcd (regions) can share
// one layout without ever issuing the same ID: each cluster gets a disjoint
// range of worker ids.
//
//   ParseWorkerIdRange("512-1023") -> {512, 1023}
//     INVALID_ARGUMENT naming --worker-ids for anything but two whole
//     numbers LO-HI with 0 <= LO <= HI (an empty range is refused).
//   CheckWorkerIdRange(range, layout_workers)
//     INVALID_ARGUMENT when HI does not fit the layout: worker ids are
//     0..layout_workers-1 (the smallest worker field of the snowflake
//     namespaces served).
//
// Thread-safety: plain values and pure functions.
#ifndef IDGEN_COORD_WORKER_ID_RANGE_H_
#define IDGEN_COORD_WORKER_ID_RANGE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace idgen::coord {

struct WorkerIdRange {
  int64_t lo = 0;
  int64_t hi = 0;  // inclusive

  int64_t size() const { return hi - lo + 1; }
  bool Contains(int64_t id) const { return id >= lo && id <= hi; }
  // "LO-HI", as the flag takes it.
  std::string ToString() const;
  friend bool operator==(const WorkerIdRange& a, const WorkerIdRange& b) {
    return a.lo == b.lo && a.hi == b.hi;
  }
};

[[nodiscard]] absl::StatusOr<WorkerIdRange> ParseWorkerIdRange(absl::string_view text);

[[nodiscard]] absl::Status CheckWorkerIdRange(const WorkerIdRange& range, int64_t layout_workers);

}  // namespace idgen::coord

#endif  // IDGEN_COORD_WORKER_ID_RANGE_H_
