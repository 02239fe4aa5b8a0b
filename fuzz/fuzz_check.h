// Copyright idgen authors.
//
// FUZZ_CHECK(cond, fmt, ...): a fuzz target's assertion. A broken promise
// prints the condition and the formatted detail to stderr and aborts, which
// libFuzzer reports as a crash with the input that caused it.
#ifndef IDGEN_FUZZ_FUZZ_CHECK_H_
#define IDGEN_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, ...)                                   \
  do {                                                          \
    if (!(cond)) {                                              \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s\n  ", #cond); \
      std::fprintf(stderr, __VA_ARGS__);                        \
      std::fprintf(stderr, "\n");                               \
      std::abort();                                             \
    }                                                           \
  } while (0)

#endif  // IDGEN_FUZZ_FUZZ_CHECK_H_
