// Copyright idgen authors.
#include "idgen/client/status.h"

#include <array>

namespace idgen::client {

std::string StatusCodeName(StatusCode code) {
  static constexpr std::array<const char*, 17> kNames = {"OK",
                                                         "CANCELLED",
                                                         "UNKNOWN",
                                                         "INVALID_ARGUMENT",
                                                         "DEADLINE_EXCEEDED",
                                                         "NOT_FOUND",
                                                         "ALREADY_EXISTS",
                                                         "PERMISSION_DENIED",
                                                         "RESOURCE_EXHAUSTED",
                                                         "FAILED_PRECONDITION",
                                                         "ABORTED",
                                                         "OUT_OF_RANGE",
                                                         "UNIMPLEMENTED",
                                                         "INTERNAL",
                                                         "UNAVAILABLE",
                                                         "DATA_LOSS",
                                                         "UNAUTHENTICATED"};
  const int n = static_cast<int>(code);
  if (n >= 0 && n < static_cast<int>(kNames.size())) return kNames[static_cast<size_t>(n)];
  return "CODE(" + std::to_string(n) + ")";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return StatusCodeName(code_) + ": " + message_;
}

}  // namespace idgen::client
