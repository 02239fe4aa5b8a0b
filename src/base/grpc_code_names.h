// Copyright idgen authors.
#ifndef IDGEN_SRC_BASE_GRPC_CODE_NAMES_H_
#define IDGEN_SRC_BASE_GRPC_CODE_NAMES_H_

// The canonical names of gRPC's status codes, by number (the numbers are
// part of the gRPC protocol: doc/statuscodes.md). Header-only and free of
// gRPC's headers, so the client library, the gateway and the load
// generator share one table.

#include <array>
#include <string_view>

namespace idgen {

inline constexpr std::array<std::string_view, 17> kGrpcCodeNames = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

// The name of `code`, or an empty view for a number gRPC does not define.
constexpr std::string_view GrpcCodeName(int code) {
  return code >= 0 && code < static_cast<int>(kGrpcCodeNames.size())
             ? kGrpcCodeNames[static_cast<size_t>(code)]
             : std::string_view();
}

}  // namespace idgen

#endif  // IDGEN_SRC_BASE_GRPC_CODE_NAMES_H_
