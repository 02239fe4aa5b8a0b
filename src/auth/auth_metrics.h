// Copyright idgen authors.
//
// The authentication and quota counters on a process's Meter (so on
// /metrics and OTLP):
//   idgen.ids.issued.by_caller{caller} IDs admitted and issued per caller
//                                     (Prometheus idgen_ids_issued_by_caller_total;
//                                     not idgen.ids.issued: a node counts that per
//                                     namespace, and one family with both label
//                                     sets would count every ID twice in a sum)
//   idgen.quota.rejections{caller}    requests refused by a quota
//   idgen.auth.failures{reason}       missing, invalid, forbidden (scope or
//                                     namespace), reload (key file)
// Label sets are bounded: caller names come from the key file (or "other",
// see quota.h), reasons are the four above.
//
// Thread-safety: as Meter. `authenticator` and `quota` must stay alive until
// meter->Unregister(owner).
#ifndef IDGEN_AUTH_AUTH_METRICS_H_
#define IDGEN_AUTH_AUTH_METRICS_H_

#include "src/auth/authenticator.h"
#include "src/auth/quota.h"
#include "src/telemetry/meter.h"

namespace idgen::auth {

void RegisterAuthMetrics(telemetry::Meter* meter, const Authenticator* authenticator,
                         const Quota* quota, const void* owner);

}  // namespace idgen::auth

#endif  // IDGEN_AUTH_AUTH_METRICS_H_
