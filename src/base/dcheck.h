// Copyright idgen authors.
//
// IDGEN_DCHECK(cond): asserts an internal invariant, one that no input,
// clock move or network failure can break, only a bug in idgen (for example
// "IDs from one generator strictly increase"). Expected failures are Status
// values, never DCHECKs.
//
// When it is active:
//   * builds without NDEBUG: Debug, which includes the ASan/UBSan and TSan
//     builds of scripts/test.sh (`cmake --preset asan|tsan`);
//   * builds that define IDGEN_DCHECK_ALWAYS_ON: the libFuzzer build
//     (IDGEN_FUZZ=ON), so the fuzzer trips on a broken invariant at once.
// Otherwise (Release, RelWithDebInfo: the shipped binary and benchmarks) it
// is compiled out: `cond` is still type-checked but never evaluated, so it
// may be as costly as needed and must have no side effects.
//
// A failing check prints the file, line and condition to stderr and aborts.
//
// Example:
//   IDGEN_DCHECK(id > last_id);
#ifndef IDGEN_BASE_DCHECK_H_
#define IDGEN_BASE_DCHECK_H_

#include <cstdio>
#include <cstdlib>

#if !defined(NDEBUG) || defined(IDGEN_DCHECK_ALWAYS_ON)
#define IDGEN_DCHECK_IS_ON 1
#else
#define IDGEN_DCHECK_IS_ON 0
#endif

namespace idgen::base_internal {

[[noreturn]] inline void DCheckFailed(const char* file, int line, const char* cond) {
  std::fprintf(stderr, "%s:%d: IDGEN_DCHECK failed: %s\n", file, line, cond);
  std::fflush(stderr);
  std::abort();
}

}  // namespace idgen::base_internal

#if IDGEN_DCHECK_IS_ON
#define IDGEN_DCHECK(cond)                                             \
  do {                                                                 \
    if (!(cond)) [[unlikely]] {                                        \
      ::idgen::base_internal::DCheckFailed(__FILE__, __LINE__, #cond); \
    }                                                                  \
  } while (false)
#else
#define IDGEN_DCHECK(cond)     \
  do {                         \
    if (false) {               \
      static_cast<void>(cond); \
    }                          \
  } while (false)
#endif

#endif  // IDGEN_BASE_DCHECK_H_
