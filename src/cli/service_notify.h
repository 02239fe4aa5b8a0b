// Copyright idgen authors.
//
// NotifyServiceManager: the sd_notify(3) protocol, written by idgen itself so
// that a systemd unit can be Type=notify without linking libsystemd. When
// $NOTIFY_SOCKET names a Unix datagram socket (a path, or "@name" for the
// abstract namespace), `state` ("READY=1", "STOPPING=1", "RELOADING=1", ...,
// several separated by '\n') is sent there in one datagram.
//
//   No NOTIFY_SOCKET: nothing is done, OK (not run by a service manager).
//   A socket that cannot be reached: INTERNAL naming the socket and errno;
//   callers log it and go on (the service manager times the start out).
//
// Thread-safety: reentrant; opens and closes its own socket per call.
#ifndef IDGEN_CLI_SERVICE_NOTIFY_H_
#define IDGEN_CLI_SERVICE_NOTIFY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace idgen::cli {

[[nodiscard]] absl::Status NotifyServiceManager(absl::string_view state);

// Sends `state` to the socket `socket_name` (the NOTIFY_SOCKET form).
[[nodiscard]] absl::Status NotifySocket(const std::string& socket_name, absl::string_view state);

}  // namespace idgen::cli

#endif  // IDGEN_CLI_SERVICE_NOTIFY_H_
