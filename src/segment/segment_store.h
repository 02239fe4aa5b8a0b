// Copyright idgen authors.
//
// SegmentStore: where the dense counters of `segment` namespaces live. A
// counter holds the next value nobody has leased yet; a lease moves it up by
// a step and hands the caller the range in between, atomically, so two
// callers (threads, nodes) never get overlapping ranges.
//
//   * Lease(counter, start, step, max_value): creates the counter at `start`
//     when it does not exist yet, then claims [next, min(next + step,
//     max_value + 1)) and stores the end. FAILED_PRECONDITION when next is
//     already above max_value (the counter is used up; nothing is claimed).
//     Other errors (UNAVAILABLE, DEADLINE_EXCEEDED, ...) mean the store could
//     not be asked or did not answer: the claim may or may not have been
//     made. Callers must then never use any range they did not get back;
//     a claim that committed unseen is a gap, never a duplicate.
//   * GiveBack(counter, unused): the caller never handed out [first, end);
//     if the counter still stands at `end` (nobody leased after), it is set
//     back to `first` (compare-and-set) and true is returned; otherwise
//     nothing changes and false is returned. Used on a clean shutdown so a
//     restart leaves no gap.
//
// Implementations: SqliteSegmentStore (one host, a file in the state dir) and
// EtcdSegmentStore (a cluster). ScriptedSegmentStore (testing/) is the fake.
//
// Thread-safety: every method may be called concurrently.
#ifndef IDGEN_SEGMENT_SEGMENT_STORE_H_
#define IDGEN_SEGMENT_SEGMENT_STORE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace idgen::segment {

// Counter values are kept below 2^63 so every store holds them as a signed
// 64-bit integer: the largest max_value a namespace may have.
inline constexpr uint64_t kMaxSegmentValue = (uint64_t{1} << 63) - 2;

// The half-open range [first, end) of counter values.
struct SegmentRange {
  uint64_t first = 0;
  uint64_t end = 0;
  uint64_t size() const { return end - first; }
  bool operator==(const SegmentRange&) const = default;
};

class SegmentStore {
 public:
  virtual ~SegmentStore() = default;

  // "etcd", "sqlite", ...: the store's name in metrics and messages.
  virtual std::string name() const = 0;
  // Requires 1 <= step, start <= max_value <= kMaxSegmentValue.
  [[nodiscard]] virtual absl::StatusOr<SegmentRange> Lease(const std::string& counter,
                                                           uint64_t start, uint64_t step,
                                                           uint64_t max_value) = 0;
  [[nodiscard]] virtual absl::StatusOr<bool> GiveBack(const std::string& counter,
                                                      SegmentRange unused) = 0;
};

}  // namespace idgen::segment

#endif  // IDGEN_SEGMENT_SEGMENT_STORE_H_
