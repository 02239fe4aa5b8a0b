// Copyright idgen authors.
//
// CallAccess: what the node's gRPC methods ask before they serve: who is
// calling (the `authorization: Bearer` metadata, or the verified client
// certificate's names, see src/auth/authenticator.h), whether that caller
// holds the method's scope and the request's namespace, and whether its
// quota and the process's hold the IDs asked for.
//
//   NextId, NextIds, StreamIds  ids:generate + namespace + quota
//   Decode                      ids:decode + namespace
//   GetInfo                     info
// (health and reflection ask nothing.)
//
// Answers: UNAUTHENTICATED (no or a wrong credential), PERMISSION_DENIED
// (scope or namespace), RESOURCE_EXHAUSTED with the trailing metadata
// `grpc-retry-pushback-ms` (how long until the request would fit; -1 when
// it never can: larger than the burst). Each message names the caller and
// what is missing, never a credential.
//
// A stream identifies its caller once, when it opens (CallerContext is kept
// by the call), and is charged per message.
//
// Thread-safety: const methods from any thread. The authenticator and the
// quota must outlive it.
#ifndef IDGEN_SERVER_CALL_ACCESS_H_
#define IDGEN_SERVER_CALL_ACCESS_H_

#include <cstdint>
#include <optional>

#include <grpcpp/grpcpp.h>

#include "absl/strings/string_view.h"
#include "src/auth/authenticator.h"
#include "src/auth/principal.h"
#include "src/auth/quota.h"

namespace idgen::server {

// Who a call or stream comes from, once identified.
struct CallerContext {
  const auth::Principal* principal = nullptr;    // into `owned`, or CallAccess's anonymous one
  std::shared_ptr<const auth::Principal> owned;  // keeps `principal` alive
  auth::CallerState* caller = nullptr;
};

class CallAccess {
 public:
  CallAccess(const auth::Authenticator* authenticator, auth::Quota* quota);
  CallAccess(const CallAccess&) = delete;
  CallAccess& operator=(const CallAccess&) = delete;

  // Authenticates the call and checks `scope`; fills *who on OK.
  [[nodiscard]] grpc::Status Identify(const grpc::ServerContext& ctx, absl::string_view scope,
                                      CallerContext* who) const;
  // `ns` granted to *who (PERMISSION_DENIED otherwise).
  [[nodiscard]] grpc::Status CheckNamespace(const CallerContext& who, absl::string_view ns) const;
  // CheckNamespace, then charges `n` IDs. On RESOURCE_EXHAUSTED with a
  // non-null `ctx`, sets grpc-retry-pushback-ms on it.
  [[nodiscard]] grpc::Status Admit(const CallerContext& who, absl::string_view ns, uint64_t n,
                                   grpc::ServerContext* ctx) const;
  // After an admitted request: gives the IDs back when they were not issued.
  void Settle(const CallerContext& who, uint64_t n, bool issued) const;

 private:
  const auth::Authenticator* const authenticator_;
  auth::Quota* const quota_;
  const auth::Principal anonymous_;
  auth::CallerState* const anonymous_caller_;
};

}  // namespace idgen::server

#endif  // IDGEN_SERVER_CALL_ACCESS_H_
