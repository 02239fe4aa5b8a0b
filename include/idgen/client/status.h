// Copyright idgen authors.
//
// Status and StatusOr<T>: how every call of the client library reports an
// expected failure. Codes are gRPC's (same names, same numbers), so a
// node's answer arrives unchanged; the library never throws.
//
//   idgen::client::StatusOr<uint64_t> id = client.NextId("orders");
//   if (!id.ok()) {
//     if (id.status().code() == idgen::client::StatusCode::kUnavailable) ...
//     std::cerr << id.status().ToString() << "\n";
//   }
//
// Thread-safety: plain values.
#ifndef IDGEN_CLIENT_STATUS_H_
#define IDGEN_CLIENT_STATUS_H_

#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

#include "idgen/client/export.h"

namespace idgen::client {

enum class StatusCode : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// "UNAVAILABLE" etc.; "CODE(n)" for a number gRPC does not define.
IDGEN_CLIENT_API std::string StatusCodeName(StatusCode code);

class IDGEN_CLIENT_API Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "UNAVAILABLE: message", or "OK".
  std::string ToString() const;

  friend bool operator==(const Status&, const Status&) = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A T or the Status saying why there is none. value() on a failed StatusOr
// aborts with the status (a bug in the caller: check ok() first).
template <typename T>
class StatusOr {
 public:
  // A failure; an OK status here is a bug and becomes kInternal.
  StatusOr(Status status)  // NOLINT(google-explicit-constructor): as absl::StatusOr
      : v_(status.ok() ? Status(StatusCode::kInternal, "StatusOr made from an OK status")
                       : std::move(status)) {}
  StatusOr(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  // OK when there is a value.
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

  const T& value() const& {
    Check();
    return std::get<T>(v_);
  }
  T& value() & {
    Check();
    return std::get<T>(v_);
  }
  T&& value() && {
    Check();
    return std::get<T>(std::move(v_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  void Check() const {
    if (!ok()) std::abort();
  }
  std::variant<Status, T> v_;
};

}  // namespace idgen::client

#endif  // IDGEN_CLIENT_STATUS_H_
