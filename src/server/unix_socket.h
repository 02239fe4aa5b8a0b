// Copyright idgen authors.
//
// Unix socket files for the gRPC port ("--listen unix:PATH"), checked before
// gRPC binds them. (gRPC itself removes the file when the server stops.)
#ifndef IDGEN_SERVER_UNIX_SOCKET_H_
#define IDGEN_SERVER_UNIX_SOCKET_H_

#include <string>

#include "absl/status/status.h"

namespace idgen::server {

// Makes `path` ready for a server to bind. gRPC removes whatever socket is at
// the path before binding, which would take the address from a node still
// running there; this refuses instead.
//   - the directory must exist: FAILED_PRECONDITION naming it otherwise;
//   - nothing at the path: OK;
//   - a socket that accepts a connection: FAILED_PRECONDITION ("in use");
//   - a socket that refuses (left by a process that was killed): removed, OK;
//   - anything else (a file, a directory): FAILED_PRECONDITION, left alone.
// Between this check and the bind another process can still take the path.
[[nodiscard]] absl::Status PrepareUnixSocket(const std::string& path);

}  // namespace idgen::server

#endif  // IDGEN_SERVER_UNIX_SOCKET_H_
