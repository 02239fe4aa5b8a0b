// Copyright idgen authors.
//
// The process's file-descriptor budget. Every open connection costs one
// descriptor, so a server that keeps the usual soft limit (often 1024) runs
// out long before memory does: RaiseFileLimit lifts the soft RLIMIT_NOFILE
// to the hard limit once, at process start (apps/idgen/main.cc), and
// DefaultMaxConnections turns the limit into a connection cap that leaves
// descriptors for everything else (listening sockets, backend channels,
// telemetry exporters, files).
//
// Thread-safety: call RaiseFileLimit before starting threads; the others are
// pure or read-only.
#ifndef IDGEN_CLI_FILE_LIMIT_H_
#define IDGEN_CLI_FILE_LIMIT_H_

#include <cstddef>
#include <cstdint>

namespace idgen::cli {

// Raises the soft RLIMIT_NOFILE to the hard limit (best effort: on failure
// the limit stays as it was). Returns the soft limit afterwards.
uint64_t RaiseFileLimit();

// The soft RLIMIT_NOFILE now (RLIM_INFINITY reads as a very large number).
uint64_t FileLimit();

// The default connection cap for a soft descriptor limit of `file_limit`:
// the limit minus a reserve of max(128, limit / 10), or half of a limit
// below 256; at least 1.
size_t DefaultMaxConnections(uint64_t file_limit);

}  // namespace idgen::cli

#endif  // IDGEN_CLI_FILE_LIMIT_H_
