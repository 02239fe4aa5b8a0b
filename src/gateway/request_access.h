// Copyright idgen authors.
//
// RequestAccess: what the gateway's ID routes ask before they call a node:
// who is calling (`Authorization: Bearer KEY`, src/auth/authenticator.h),
// whether it holds the route's scope and the request's namespace, and
// whether its quota and the gateway's hold the IDs asked for. The gateway
// authenticates its callers itself and counts their quotas here; toward the
// nodes it authenticates as itself (--backend-api-key-file, or its client
// certificate), since pooled and coalesced calls mix callers.
//
// Refusals are RFC 9457 problem+json with RFC 6750 challenges:
//   401 unauthenticated   WWW-Authenticate: Bearer realm="idgen" (no
//                         credential), or with error="invalid_token"
//   403 insufficient-scope  WWW-Authenticate: Bearer realm="idgen",
//                         error="insufficient_scope", scope="<needed>"
//   429 quota-exceeded    Retry-After (whole seconds, >= 1) unless the
//                         request can never fit (more than the burst),
//                         RateLimit-Policy and RateLimit (IETF
//                         draft-ietf-httpapi-ratelimit-headers, structured
//                         fields; the unit is IDs):
//                           RateLimit-Policy: "caller";q=<burst>;w=<seconds to refill>
//                           RateLimit: "caller";r=<IDs left>;t=<seconds to full>
// Admitted requests of a caller with a quota carry the same two headers.
//
// Thread-safety: const methods from any thread; the authenticator and the
// quota must outlive it.
#ifndef IDGEN_GATEWAY_REQUEST_ACCESS_H_
#define IDGEN_GATEWAY_REQUEST_ACCESS_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "src/auth/authenticator.h"
#include "src/auth/principal.h"
#include "src/auth/quota.h"
#include "src/http/http_server.h"

namespace idgen::gateway {

// What a request was charged, to give back if its IDs were not issued
// (trivially copyable: kept by the request's callback).
struct Charge {
  auth::CallerState* caller = nullptr;
  uint64_t ids = 0;
  bool limited = false;  // through the quota's buckets (not only counted)
};

// Who a request comes from and what it was granted. Not movable once
// filled (principal may point into owned).
struct Admission {
  const auth::Principal* principal = nullptr;
  std::shared_ptr<const auth::Principal> owned;  // keeps `principal` alive
  auth::CallerState* caller = nullptr;
  Charge charge;
};

class RequestAccess {
 public:
  RequestAccess(const auth::Authenticator* authenticator, auth::Quota* quota);
  RequestAccess(const RequestAccess&) = delete;
  RequestAccess& operator=(const RequestAccess&) = delete;

  // Each returns true to go on; false when `resp` holds the refusal.
  bool Identify(const http::Request& req, absl::string_view scope, Admission* who,
                http::Response& resp) const;
  bool CheckNamespace(const Admission& who, absl::string_view ns, http::Response& resp) const;
  // CheckNamespace, then charges `n` IDs (RateLimit headers on `resp`).
  bool Admit(Admission* who, absl::string_view ns, uint64_t n, http::Response& resp) const;
  // After an admitted request: gives the IDs back when they were not issued.
  void Settle(const Charge& charge, bool issued) const;

 private:
  const auth::Authenticator* const authenticator_;
  auth::Quota* const quota_;
  const auth::Principal anonymous_;
  auth::CallerState* const anonymous_caller_;
};

}  // namespace idgen::gateway

#endif  // IDGEN_GATEWAY_REQUEST_ACCESS_H_
