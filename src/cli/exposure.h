// Copyright idgen authors.
//
// Start-up checks that serve and gateway share.
//
// The secure-bind rule: a listener that other machines can reach
// (config::IsLocalOnly says no) serves TLS, or the operator says --insecure.
//   CheckPlaintextExposure("--admin-listen", "0.0.0.0:9464", false, false)
//     -> INVALID_ARGUMENT naming the flag, the address and the ways out;
//   with `insecure` it is OK, and PlaintextExposureWarning gives the line
//     to log at start. An address that is not HOST:PORT passes: the
//     listener reports it in its own words.
// (The node's gRPC --listen has its own, stricter check in serve_command.cc:
// it also wants client certificates.)
//
// PrintTelemetryErrors: the OTEL_* values a process must not start with
// (telemetry_config.h), one line each on stderr after `command`.
//
// Thread-safety: pure functions (PrintTelemetryErrors writes to std::cerr).
#ifndef IDGEN_CLI_EXPOSURE_H_
#define IDGEN_CLI_EXPOSURE_H_

#include <string>

#include "absl/status/status.h"
#include "src/telemetry/telemetry_config.h"

namespace idgen::cli {

[[nodiscard]] absl::Status CheckPlaintextExposure(const std::string& flag,
                                                  const std::string& address, bool tls,
                                                  bool insecure);

// "" when the listener is on loopback or serves TLS.
std::string PlaintextExposureWarning(const std::string& flag, const std::string& address, bool tls);

// True when there was at least one error (the caller exits 2).
bool PrintTelemetryErrors(const std::string& command,
                          const telemetry::ParsedTelemetryConfig& parsed);

}  // namespace idgen::cli

#endif  // IDGEN_CLI_EXPOSURE_H_
