// Copyright idgen authors.
#include "src/gateway/request_access.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "src/gateway/problem.h"

namespace idgen::gateway {
namespace {

constexpr absl::string_view kRealm = "Bearer realm=\"idgen\"";

int64_t CeilSeconds(double s) { return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(s))); }

void AddRateLimitHeaders(const auth::Quota::Decision& d, http::Response& resp) {
  if (d.limit <= 0 || d.ids_per_second <= 0) return;
  resp.headers.emplace_back("RateLimit-Policy",
                            absl::StrCat("\"caller\";q=", static_cast<int64_t>(d.limit),
                                         ";w=", CeilSeconds(d.limit / d.ids_per_second)));
  const double remaining = std::max(0.0, d.remaining);
  resp.headers.emplace_back(
      "RateLimit",
      absl::StrCat("\"caller\";r=", static_cast<int64_t>(std::floor(remaining)), ";t=",
                   remaining >= d.limit ? int64_t{0}
                                        : CeilSeconds((d.limit - remaining) / d.ids_per_second)));
}

}  // namespace

RequestAccess::RequestAccess(const auth::Authenticator* authenticator, auth::Quota* quota)
    : authenticator_(authenticator),
      quota_(quota),
      anonymous_(auth::AnonymousPrincipal()),
      anonymous_caller_(quota->Caller(anonymous_)) {}

bool RequestAccess::Identify(const http::Request& req, absl::string_view scope, Admission* who,
                             http::Response& resp) const {
  if (authenticator_->open()) {
    who->principal = &anonymous_;
    who->caller = anonymous_caller_;
    return true;
  }
  auth::Credentials creds;
  const std::optional<std::string_view> header = req.Header("authorization");
  if (header.has_value()) creds.authorization = absl::string_view(header->data(), header->size());
  absl::StatusOr<std::shared_ptr<const auth::Principal>> p = authenticator_->Authenticate(creds);
  if (!p.ok()) {
    Problem problem;
    problem.status = 401;
    problem.slug = "unauthenticated";
    problem.title = "Credentials required";
    problem.detail = std::string(p.status().message());
    WriteProblem(problem, resp);
    resp.headers.emplace_back(
        "WWW-Authenticate",
        auth::FailureOf(p.status()) == auth::AuthFailure::kMissing
            ? std::string(kRealm)
            : absl::StrCat(kRealm, ", error=\"invalid_token\", error_description=\"",
                           "the credential is not valid\""));
    return false;
  }
  if (!(*p)->Allows(scope)) {
    authenticator_->CountForbidden();
    Problem problem;
    problem.status = 403;
    problem.slug = "insufficient-scope";
    problem.title = "Not allowed";
    problem.detail = std::string((*p)->CheckScope(scope).message());
    WriteProblem(problem, resp);
    resp.headers.emplace_back("WWW-Authenticate", absl::StrCat(kRealm,
                                                               ", error=\"insufficient_scope\", "
                                                               "scope=\"",
                                                               scope, "\""));
    return false;
  }
  who->owned = *std::move(p);
  who->principal = who->owned.get();
  who->caller = quota_->Caller(*who->principal);
  return true;
}

bool RequestAccess::CheckNamespace(const Admission& who, absl::string_view ns,
                                   http::Response& resp) const {
  if (who.principal->AllowsNamespace(ns)) return true;
  authenticator_->CountForbidden();
  if (ns.empty()) ns = "default";
  Problem problem;
  problem.status = 403;
  problem.slug = "insufficient-scope";
  problem.title = "Not allowed";
  problem.detail = absl::StrCat("caller \"", who.principal->name, "\" may not use the namespace \"",
                                ns.substr(0, 64), "\"");
  WriteProblem(problem, resp);
  resp.headers.emplace_back("WWW-Authenticate",
                            absl::StrCat(kRealm, ", error=\"insufficient_scope\""));
  return false;
}

bool RequestAccess::Admit(Admission* who, absl::string_view ns, uint64_t n,
                          http::Response& resp) const {
  if (!CheckNamespace(*who, ns, resp)) return false;
  if (quota_->unlimited() && who->principal->ids_per_second <= 0) {
    who->caller->issued.fetch_add(n, std::memory_order_relaxed);
    who->charge = Charge{who->caller, n, false};
    return true;
  }
  const auth::Quota::Decision d = quota_->Take(who->caller, *who->principal, n);
  if (d.admitted) {
    who->charge = Charge{who->caller, n, true};
    AddRateLimitHeaders(d, resp);
    return true;
  }
  Problem problem;
  problem.status = 429;
  problem.slug = "quota-exceeded";
  problem.title = "Quota exceeded";
  problem.detail = d.message;
  WriteProblem(problem, resp);
  if (d.retry_after > absl::ZeroDuration()) {
    resp.headers.emplace_back("Retry-After",
                              absl::StrCat(CeilSeconds(absl::ToDoubleSeconds(d.retry_after))));
  }
  AddRateLimitHeaders(d, resp);
  return false;
}

void RequestAccess::Settle(const Charge& charge, bool issued) const {
  if (issued || charge.ids == 0 || charge.caller == nullptr) return;
  if (!charge.limited) {
    charge.caller->issued.fetch_sub(charge.ids, std::memory_order_relaxed);
    return;
  }
  quota_->Refund(charge.caller, charge.ids);
}

}  // namespace idgen::gateway
