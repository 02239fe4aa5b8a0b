// Copyright idgen authors.
//
// How a segment buffer paces its leases (pure functions, no I/O):
//
//   * AdaptStep: the step of the next lease from how long the previous
//     segment's worth of IDs lasted. A segment should last minutes, so a
//     busy namespace touches its store rarely and a quiet one wastes little
//     on a crash: shorter than `grow_below`, the step doubles (up to
//     max_step); longer than `shrink_above`, it halves (down to the
//     configured step); in between it stays.
//   * LeaseBackoff: exponential backoff with jitter between failed
//     leases, so nodes that lost their store do not hammer it together when
//     it returns. Reset() after a success.
//
// Thread-safety: LeaseBackoff is not thread-safe (the loader owns it).
#ifndef IDGEN_SEGMENT_SEGMENT_PACING_H_
#define IDGEN_SEGMENT_SEGMENT_PACING_H_

#include <cstdint>

#include "absl/time/time.h"
#include "idgen/random.h"

namespace idgen::segment {

struct StepPolicy {
  uint64_t min_step = 1000;       // the namespace's `step`
  uint64_t max_step = 1'000'000;  // the namespace's `max_step`
  absl::Duration grow_below = absl::Minutes(5);
  absl::Duration shrink_above = absl::Minutes(20);
};

// `lasted`: time from the previous lease to this one (the previous segment
// was then about used up, since the next lease starts at load_at).
uint64_t AdaptStep(uint64_t current, absl::Duration lasted, const StepPolicy& policy);

class LeaseBackoff {
 public:
  // `random` (not owned, may be null: no jitter) draws the jitter.
  LeaseBackoff(absl::Duration min, absl::Duration max, RandomSource* random)
      : min_(min), max_(max), random_(random) {}

  // The wait before the next attempt after one more failure: uniform in
  // [ceiling / 2, ceiling], where the ceiling doubles from min up to max.
  absl::Duration NextDelay();
  void Reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  const absl::Duration min_;
  const absl::Duration max_;
  RandomSource* const random_;
  int failures_ = 0;
};

}  // namespace idgen::segment

#endif  // IDGEN_SEGMENT_SEGMENT_PACING_H_
