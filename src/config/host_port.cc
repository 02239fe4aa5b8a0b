// Copyright idgen authors.
#include "src/config/host_port.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace idgen::config {

absl::Status CheckHostPort(const std::string& what, const std::string& value) {
  const size_t colon = value.rfind(':');
  bool ok = colon != std::string::npos && colon > 0 && colon + 1 < value.size();
  int port = -1;
  if (ok) {
    ok = absl::SimpleAtoi(absl::string_view(value).substr(colon + 1), &port) && port >= 0 &&
         port <= 65535;
  }
  if (ok && value[0] == '[') ok = value[colon - 1] == ']';
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " \"", value, "\": expected HOST:PORT with a port in 0..65535"));
  }
  return absl::OkStatus();
}

}  // namespace idgen::config
