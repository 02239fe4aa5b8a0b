// Copyright idgen authors.
#include "src/cli/exposure.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "src/config/host_port.h"

namespace idgen::cli {

absl::Status CheckPlaintextExposure(const std::string& flag, const std::string& address, bool tls,
                                    bool insecure) {
  if (tls || insecure || config::IsLocalOnly(address)) return absl::OkStatus();
  // An address that does not parse is the listener's own error to report.
  if (!config::CheckHostPort(flag, address).ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      flag, " ", address,
      " is reachable from other machines and would be served in plaintext: listen on loopback, "
      "serve TLS (--tls-cert, --tls-key), or accept the exposure with --insecure (see "
      "docs/SECURITY.md)"));
}

std::string PlaintextExposureWarning(const std::string& flag, const std::string& address,
                                     bool tls) {
  if (tls || config::IsLocalOnly(address) || !config::CheckHostPort(flag, address).ok()) return "";
  return absl::StrCat("--insecure: ", flag, " ", address,
                      " is served in plaintext and reachable from other machines; anyone who "
                      "can connect can read and call it");
}

bool PrintTelemetryErrors(const std::string& command,
                          const telemetry::ParsedTelemetryConfig& parsed) {
  for (const std::string& e : parsed.errors) std::cerr << command << ": " << e << "\n";
  return !parsed.errors.empty();
}

}  // namespace idgen::cli
