// Copyright idgen authors.
//
// RandomSource: the seam through which ID generators draw random bytes, so tests
// can inject a deterministic source (as they inject a FakeClock).
//
// OsRandom is the production source: the kernel CSPRNG via getrandom(2), read in
// 256-byte chunks into a per-instance buffer so that the few bytes a UUID or ULID
// needs cost a memcpy, not a syscall. Properties:
//   * Fill never fails. getrandom blocks only until the kernel pool is first
//     initialised (early boot); EINTR and short reads are retried. A kernel without
//     getrandom (Linux < 3.17) or any other error is a broken environment: the
//     process prints one line to stderr and aborts rather than hand out weak bytes.
//   * Fork-safe: a child process discards the buffer it inherited, so parent and
//     child never hand out the same bytes.
//   * Bytes, once handed out, are wiped from the buffer.
//
// Thread-safety: RandomSource implementations must allow concurrent Fill calls.
// OsRandom serialises them with a mutex held for a memcpy (or a syscall on refill).
//
// Example:
//   std::array<uint8_t, 10> bytes;
//   idgen::OsRandom::Default()->Fill(absl::MakeSpan(bytes));
#ifndef IDGEN_RANDOM_H_
#define IDGEN_RANDOM_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/types/span.h"
#include "idgen/internal/mutex.h"

namespace idgen {

class RandomSource {
 public:
  virtual ~RandomSource();

  // Overwrites every byte of `out` with uniformly random bytes.
  virtual void Fill(absl::Span<uint8_t> out) = 0;
};

class OsRandom final : public RandomSource {
 public:
  OsRandom();
  OsRandom(const OsRandom&) = delete;
  OsRandom& operator=(const OsRandom&) = delete;
  ~OsRandom() override;

  // A shared instance; lives for the whole process.
  static OsRandom* Default();

  // Requests of at least kBufferSize bytes bypass the buffer and go straight to
  // the kernel.
  void Fill(absl::Span<uint8_t> out) override;

  static constexpr size_t kBufferSize = 256;

 private:
  void RefillLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  idgen::Mutex mu_;
  std::array<uint8_t, kBufferSize> buffer_ ABSL_GUARDED_BY(mu_);
  // Unused bytes are buffer_[kBufferSize - available_, kBufferSize).
  size_t available_ ABSL_GUARDED_BY(mu_) = 0;
  // Fork generation the buffer was filled in; see random.cc.
  uint64_t fork_generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace idgen

#endif  // IDGEN_RANDOM_H_
