// Copyright idgen authors.
#include "idgen/client/status.h"

#include <string_view>

#include "src/base/grpc_code_names.h"

namespace idgen::client {

std::string StatusCodeName(StatusCode code) {
  const int n = static_cast<int>(code);
  if (std::string_view name = GrpcCodeName(n); !name.empty()) return std::string(name);
  return "CODE(" + std::to_string(n) + ")";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return StatusCodeName(code_) + ": " + message_;
}

}  // namespace idgen::client
