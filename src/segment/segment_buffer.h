// Copyright idgen authors.
//
// SegmentBuffer: the IDs of one `segment` namespace on one node, served from
// memory. It holds at most two leased ranges ("segments"): the current one,
// which Take() hands out in order, and the next one, which a single loader
// thread leases from the SegmentStore once `load_at` of the current one is
// used (Leaf's double buffer). So most calls touch no store at all and at
// most one store call per namespace is in flight.
//
// Promises:
//   * Every ID comes from a range the store durably leased to this buffer,
//     and each is handed out once: IDs are unique across every buffer (node)
//     sharing the store, and strictly increase within one buffer (a later
//     lease of one counter is always above an earlier one).
//   * Nothing above max_value is ever handed out: at the end, Take() answers
//     FAILED_PRECONDITION.
//   * Store down: the buffered IDs are still served; once they are gone,
//     Take() answers UNAVAILABLE naming the store and its error, at once
//     (it never blocks its caller on a failing store), while the loader
//     retries with exponential backoff and jitter (segment_pacing.h).
//     Serving resumes by itself when a lease succeeds again.
//   * An empty buffer with a healthy store (the first lease, or a batch
//     larger than what is buffered) makes Take() wait for the lease in
//     flight, at most wait_timeout.
//   * Headroom (stats()): IDs left up to max_value from here, and the rate
//     at which this buffer hands IDs out, so callers can say how long the
//     counter lasts at the current rate.
//   * Step: adapted at each lease to how long the previous segment lasted
//     (AdaptStep), between `step` and `max_step`.
//   * Close() (clean shutdown) gives the unused IDs back to the store when no
//     one leased after them, so the next lease continues without a gap. A
//     crash (or the destructor alone) loses the buffered IDs: at most two
//     segments, a gap and never a duplicate.
//   * A batch larger than what is buffered waits for further leases; if one
//     then fails, the IDs taken from the current segment are put back when
//     possible, otherwise they are skipped (a gap).
//
// Thread-safety: Take/TakeOne/stats from any thread; Close from one.
//
// Example:
//   auto buf = SegmentBuffer::Create({.counter = "orders"}, &store, clock, random);
//   absl::StatusOr<uint64_t> id = (*buf)->TakeOne();
#ifndef IDGEN_SEGMENT_SEGMENT_BUFFER_H_
#define IDGEN_SEGMENT_SEGMENT_BUFFER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "idgen/clock.h"
#include "idgen/internal/mutex.h"
#include "idgen/random.h"
#include "src/segment/segment_pacing.h"
#include "src/segment/segment_store.h"

namespace idgen::segment {

struct SegmentBufferOptions {
  std::string counter;  // the namespace name: the counter's key in the store
  uint64_t start = 1;   // the first ID of a new counter
  uint64_t step = 1000;
  uint64_t max_step = 1'000'000;
  double load_at = 0.1;  // share of a segment used before the next is leased
  uint64_t max_value = (uint64_t{1} << 53) - 1;
  absl::Duration grow_below = absl::Minutes(5);     // see StepPolicy
  absl::Duration shrink_above = absl::Minutes(20);  // see StepPolicy
  absl::Duration backoff_min = absl::Milliseconds(50);
  absl::Duration backoff_max = absl::Seconds(5);
  // How long Take() waits for a lease in flight when the buffer is empty and
  // the store was answering (while it fails, Take() does not wait at all).
  absl::Duration wait_timeout = absl::Seconds(1);
  // Told of every lease attempt (metrics); thread-safe and quick.
  std::function<void(absl::Duration elapsed, bool ok)> observe_lease;
};

class SegmentBuffer {
 public:
  struct Stats {
    uint64_t leases_ok = 0;
    uint64_t leases_failed = 0;  // store errors (not max_value)
    uint64_t empty_waits = 0;    // Take() calls that found too few IDs buffered
    uint64_t step = 0;           // step of the next lease
    uint64_t buffered = 0;       // IDs leased and not yet handed out
    uint64_t next_id = 0;        // the next ID handed out; 0 while none is buffered
    bool exhausted = false;      // the counter reached max_value
    std::string store_error;     // the last lease's error while leases fail
    uint64_t handed_out = 0;     // IDs handed out since Create
    // Headroom: IDs the counter has left from this buffer's next ID (or,
    // with nothing buffered, from the end of its latest lease) up to
    // max_value; other nodes' buffers are inside that figure.
    uint64_t headroom_ids = 0;
    // IDs this buffer handed out per second, over the last minute or so
    // (the window restarts after a minute without a request, so an idle
    // buffer's rate decays towards 0); 0 until a second has been seen.
    double ids_per_second = 0;
  };

  // INVALID_ARGUMENT for options outside the ranges of the namespace config
  // (docs/OPERATIONS.md). Starts the loader, which leases the first segment
  // at once. `store`, `clock` and `random` (may be null) must outlive it.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SegmentBuffer>> Create(
      SegmentBufferOptions options, SegmentStore* store, Clock* clock, RandomSource* random);
  // Stops the loader; gives nothing back (call Close() for that).
  ~SegmentBuffer();
  SegmentBuffer(const SegmentBuffer&) = delete;
  SegmentBuffer& operator=(const SegmentBuffer&) = delete;

  // Fills `out` with the next IDs, in increasing order. Errors (nothing
  // handed out): FAILED_PRECONDITION at max_value, UNAVAILABLE while the
  // store cannot lease or after Close().
  [[nodiscard]] absl::Status Take(absl::Span<uint64_t> out);
  [[nodiscard]] absl::StatusOr<uint64_t> TakeOne();
  // Whether Take() of `n` IDs would wait for a lease now: fewer than `n`
  // are buffered and the store is answering (so Take() would not fail at
  // once). A hint for callers that must not block a shared thread: another
  // caller may take the IDs in between, and a lease may land.
  bool WouldWait(uint64_t n) const;

  // Stops serving and loading, then gives the unused IDs back (see above).
  // Returns the store's error if a give-back could not be asked; a refused
  // compare-and-set is not an error. Idempotent.
  [[nodiscard]] absl::Status Close();

  Stats stats() const;
  const SegmentBufferOptions& options() const { return options_; }
  const std::string& store_name() const { return store_name_; }

 private:
  SegmentBuffer(SegmentBufferOptions options, SegmentStore* store, Clock* clock,
                RandomSource* random);
  void LoaderLoop();
  bool NeedLoad() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t Buffered() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Installs a new lease as the current or the next segment.
  void Install(SegmentRange r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The error for a caller that found the buffer empty, or OK to wait.
  absl::Status EmptyError(absl::Duration deadline) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StopLoader();
  // Keeps (time, handed_out) samples about a second apart for the rate.
  void RecordRate(absl::Duration now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  struct RateSample {
    absl::Duration at;
    uint64_t handed_out = 0;
  };

  const SegmentBufferOptions options_;
  SegmentStore* const store_;
  const std::string store_name_;
  Clock* const clock_;
  const StepPolicy policy_;

  mutable idgen::Mutex mu_;
  idgen::CondVar cv_{&mu_};
  SegmentRange current_ ABSL_GUARDED_BY(mu_);    // [next ID, end)
  uint64_t load_mark_ ABSL_GUARDED_BY(mu_) = 0;  // lease the next one at this ID
  std::optional<SegmentRange> next_ ABSL_GUARDED_BY(mu_);
  bool loading_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool exhausted_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  absl::Duration retry_at_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Duration> last_lease_at_ ABSL_GUARDED_BY(mu_);
  uint64_t step_ ABSL_GUARDED_BY(mu_);
  LeaseBackoff backoff_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
  uint64_t last_end_ ABSL_GUARDED_BY(mu_);  // end of the latest lease (start before one)
  std::deque<RateSample> rate_samples_ ABSL_GUARDED_BY(mu_);  // oldest first
  std::thread loader_;
};

}  // namespace idgen::segment

#endif  // IDGEN_SEGMENT_SEGMENT_BUFFER_H_
