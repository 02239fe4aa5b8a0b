// Copyright idgen authors.
#include "src/server/call_access.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "src/security/peer_identity.h"
#include "src/server/id_service.h"

namespace idgen::server {

CallAccess::CallAccess(const auth::Authenticator* authenticator, auth::Quota* quota)
    : authenticator_(authenticator),
      quota_(quota),
      anonymous_(auth::AnonymousPrincipal()),
      anonymous_caller_(quota->Caller(anonymous_)) {}

grpc::Status CallAccess::Identify(const grpc::ServerContext& ctx, absl::string_view scope,
                                  CallerContext* who) const {
  if (authenticator_->open()) {
    who->principal = &anonymous_;
    who->caller = anonymous_caller_;
    return grpc::Status::OK;
  }
  auth::Credentials creds;
  const auto& metadata = ctx.client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    creds.authorization = absl::string_view(it->second.data(), it->second.size());
  }
  std::vector<std::string> identities;
  if (creds.authorization.empty()) {
    if (const std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context(); auth != nullptr) {
      identities = security::PeerIdentities(*auth);
    }
    creds.tls_identities = &identities;
  }
  absl::StatusOr<std::shared_ptr<const auth::Principal>> p = authenticator_->Authenticate(creds);
  if (!p.ok()) return ToGrpc(p.status());
  if (absl::Status s = (*p)->CheckScope(scope); !s.ok()) {
    authenticator_->CountForbidden();
    return ToGrpc(s);
  }
  who->owned = *std::move(p);
  who->principal = who->owned.get();
  who->caller = quota_->Caller(*who->principal);
  return grpc::Status::OK;
}

grpc::Status CallAccess::CheckNamespace(const CallerContext& who, absl::string_view ns) const {
  if (who.principal->AllowsNamespace(ns)) return grpc::Status::OK;
  authenticator_->CountForbidden();
  if (ns.empty()) ns = "default";
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      absl::StrCat("caller \"", who.principal->name,
                                   "\" may not use the namespace \"", ns.substr(0, 64), "\""));
}

grpc::Status CallAccess::Admit(const CallerContext& who, absl::string_view ns, uint64_t n,
                               grpc::ServerContext* ctx) const {
  if (grpc::Status s = CheckNamespace(who, ns); !s.ok()) return s;
  if (quota_->unlimited() && who.principal->ids_per_second <= 0) {
    who.caller->issued.fetch_add(n, std::memory_order_relaxed);
    return grpc::Status::OK;
  }
  const auth::Quota::Decision d = quota_->Take(who.caller, *who.principal, n);
  if (d.admitted) return grpc::Status::OK;
  if (ctx != nullptr) {
    ctx->AddTrailingMetadata("grpc-retry-pushback-ms",
                             d.retry_after > absl::ZeroDuration()
                                 ? absl::StrCat(absl::ToInt64Milliseconds(
                                       absl::Ceil(d.retry_after, absl::Milliseconds(1))))
                                 : std::string("-1"));
  }
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, d.message);
}

void CallAccess::Settle(const CallerContext& who, uint64_t n, bool issued) const {
  if (issued || n == 0 || who.caller == nullptr) return;
  if (quota_->unlimited() && who.principal->ids_per_second <= 0) {
    who.caller->issued.fetch_sub(n, std::memory_order_relaxed);
    return;
  }
  quota_->Refund(who.caller, n);
}

}  // namespace idgen::server
