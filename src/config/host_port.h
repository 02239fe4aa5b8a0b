// Copyright idgen authors.
//
// Address checks shared by every flag and config key that takes one, so all
// reject nonsense with the same message.
#ifndef IDGEN_CONFIG_HOST_PORT_H_
#define IDGEN_CONFIG_HOST_PORT_H_

#include <string>

#include "absl/status/status.h"

namespace idgen::config {

// HOST:PORT or [IPv6]:PORT with a port in 0..65535. INVALID_ARGUMENT
// "<what> \"<value>\": expected HOST:PORT with a port in 0..65535".
absl::Status CheckHostPort(const std::string& what, const std::string& value);

}  // namespace idgen::config

#endif  // IDGEN_CONFIG_HOST_PORT_H_
