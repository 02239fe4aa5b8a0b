// Copyright idgen authors.
#include "src/cli/file_limit.h"

#include <sys/resource.h>

#include <algorithm>
#include <limits>

namespace idgen::cli {
namespace {

// Caps so that the cap itself and later arithmetic stay far from overflow
// when the limit is RLIM_INFINITY.
constexpr uint64_t kLargest = uint64_t{1} << 30;

uint64_t Clamp(rlim_t v) { return v == RLIM_INFINITY ? kLargest : std::min<uint64_t>(v, kLargest); }

}  // namespace

uint64_t RaiseFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur != lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  return Clamp(lim.rlim_cur);
}

uint64_t FileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  return Clamp(lim.rlim_cur);
}

size_t DefaultMaxConnections(uint64_t file_limit) {
  const uint64_t reserve =
      file_limit < 256 ? file_limit / 2 : std::max<uint64_t>(128, file_limit / 10);
  return static_cast<size_t>(std::max<uint64_t>(1, file_limit - reserve));
}

}  // namespace idgen::cli
