// Copyright idgen authors.
#include "src/auth/auth_metrics.h"

#include <cstdint>

namespace idgen::auth {

void RegisterAuthMetrics(telemetry::Meter* meter, const Authenticator* authenticator,
                         const Quota* quota, const void* owner) {
  meter->CreateObservableCounter(
      "idgen.ids.issued.by_caller", "IDs issued, by caller (the key entry or token subject)",
      "{id}",
      [quota](telemetry::Observer& o) {
        for (const Quota::CallerCounts& c : quota->Counts()) {
          o.Observe(static_cast<int64_t>(c.issued), {{"caller", c.name}});
        }
      },
      owner);
  meter->CreateObservableCounter(
      "idgen.quota.rejections", "Requests refused because a quota was used up, by caller",
      "{request}",
      [quota](telemetry::Observer& o) {
        for (const Quota::CallerCounts& c : quota->Counts()) {
          o.Observe(static_cast<int64_t>(c.rejected), {{"caller", c.name}});
        }
      },
      owner);
  meter->CreateObservableCounter(
      "idgen.auth.failures",
      "Requests refused by authentication or authorization (missing or invalid credential, "
      "scope or namespace not granted), and key file reloads that failed",
      "{request}",
      [authenticator](telemetry::Observer& o) {
        const Authenticator::Counts c = authenticator->counts();
        o.Observe(static_cast<int64_t>(c.missing), {{"reason", "missing"}});
        o.Observe(static_cast<int64_t>(c.invalid), {{"reason", "invalid"}});
        o.Observe(static_cast<int64_t>(c.forbidden), {{"reason", "forbidden"}});
        o.Observe(static_cast<int64_t>(c.reload_failures), {{"reason", "reload"}});
      },
      owner);
}

}  // namespace idgen::auth
