// Copyright idgen authors.
//
// MemoryTrimmer: hands memory that the process freed back to the kernel.
//
// A burst of calls (a flood that gRPC 1.51 cannot bound, such as rapid
// reset; see docs/SECURITY.md) makes gRPC allocate hundreds of megabytes and
// free them again once the burst is worked off. glibc keeps freed memory in
// its arenas, so without a trim the resident size stays at the peak for the
// life of the process. Every `period` the trimmer reads the resident size and,
// when it is above `threshold_bytes`, asks the allocator to release what it
// can (malloc_trim). A node at rest (about 20 MiB) is never trimmed.
//
// Thread-safety: TrimIfAbove and trims() may be called from any thread; the
// destructor stops the background thread (promptly, not after a period).
#ifndef IDGEN_SERVER_MEMORY_TRIMMER_H_
#define IDGEN_SERVER_MEMORY_TRIMMER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace idgen::server {

class MemoryTrimmer {
 public:
  struct Options {
    absl::Duration period = absl::Seconds(2);
    int64_t threshold_bytes = int64_t{64} << 20;
  };
  // The resident size now, or nullopt when unknown (then nothing is trimmed).
  using ResidentFn = std::function<std::optional<int64_t>()>;
  using TrimFn = std::function<void()>;

  // This process: resident size from /proc/self/statm, glibc's malloc_trim.
  static ResidentFn ProcessResident();
  static TrimFn AllocatorTrim();

  // Starts the background thread when `period` is positive; with a zero
  // period only explicit TrimIfAbove calls trim.
  MemoryTrimmer(Options options, ResidentFn resident, TrimFn trim);
  ~MemoryTrimmer();
  MemoryTrimmer(const MemoryTrimmer&) = delete;
  MemoryTrimmer& operator=(const MemoryTrimmer&) = delete;

  // One check: trims when the resident size is above the threshold. Returns
  // whether it trimmed.
  bool TrimIfAbove();
  // How many times it trimmed.
  int64_t trims() const { return trims_.load(std::memory_order_relaxed); }

 private:
  const Options options_;
  const ResidentFn resident_;
  const TrimFn trim_;
  std::atomic<int64_t> trims_{0};
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace idgen::server

#endif  // IDGEN_SERVER_MEMORY_TRIMMER_H_
