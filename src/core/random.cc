// Copyright idgen authors.
#include "idgen/random.h"

#include <pthread.h>
#include <sys/random.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace idgen {
namespace {

// Bumped in every forked child. A buffer filled under an older generation was
// copied from the parent, and handing it out would give parent and child the same
// "random" bytes, hence duplicate UUIDs/ULIDs across processes.
std::atomic<uint64_t> g_fork_generation{0};

void OnForkChild() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

void RegisterForkHandlerOnce() {
  [[maybe_unused]] static const bool registered = [] {
    pthread_atfork(nullptr, nullptr, &OnForkChild);
    return true;
  }();
}

// Fills `out` from the kernel CSPRNG. getrandom may return fewer bytes than asked
// (large requests, signals) or fail with EINTR; both just mean "try again".
void GetRandomOrDie(uint8_t* out, size_t n) {
  while (n > 0) {
    const ssize_t got = ::getrandom(out, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      // No safe fallback exists: without the CSPRNG the IDs would be predictable
      // or collide. This is the one place the core writes to stderr.
      std::fprintf(stderr, "idgen: getrandom(2) failed: %s; aborting\n", std::strerror(errno));
      std::abort();
    }
    out += got;
    n -= static_cast<size_t>(got);
  }
}

}  // namespace

RandomSource::~RandomSource() = default;

OsRandom::OsRandom() : buffer_{} {
  RegisterForkHandlerOnce();
  idgen::MutexLock lock(&mu_);
  fork_generation_ = g_fork_generation.load(std::memory_order_relaxed);
}

OsRandom::~OsRandom() {
  idgen::MutexLock lock(&mu_);
  std::memset(buffer_.data(), 0, buffer_.size());
}

OsRandom* OsRandom::Default() {
  static OsRandom* const kDefault = new OsRandom();
  return kDefault;
}

void OsRandom::Fill(absl::Span<uint8_t> out) {
  if (out.size() >= kBufferSize) {
    GetRandomOrDie(out.data(), out.size());
    return;
  }
  idgen::MutexLock lock(&mu_);
  const uint64_t generation = g_fork_generation.load(std::memory_order_relaxed);
  if (generation != fork_generation_) {
    available_ = 0;
    fork_generation_ = generation;
  }
  size_t done = 0;
  while (done < out.size()) {
    if (available_ == 0) RefillLocked();
    const size_t take = std::min(available_, out.size() - done);
    uint8_t* src = buffer_.data() + (kBufferSize - available_);
    std::memcpy(out.data() + done, src, take);
    // Wipe what was handed out, so a later memory disclosure cannot reveal it.
    std::memset(src, 0, take);
    available_ -= take;
    done += take;
  }
}

void OsRandom::RefillLocked() {
  GetRandomOrDie(buffer_.data(), buffer_.size());
  available_ = buffer_.size();
}

}  // namespace idgen
