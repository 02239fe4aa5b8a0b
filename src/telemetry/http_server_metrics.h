// Copyright idgen authors.
//
// RegisterHttpServerMetrics: an HttpServer's refusals on a Meter, as the
// counter idgen.http.rejected (Prometheus: idgen_http_rejected_total) with
// the attributes `listener` (the caller's name for it: "http" on a gateway,
// "admin" on a node) and `reason` (http::RejectReasonName: header_too_large,
// body_too_large, header_timeout, malformed, connection_limit, evicted).
//
// Lifetime: `server` must stay alive (it may be stopped) until
// meter->Unregister(owner).
#ifndef IDGEN_TELEMETRY_HTTP_SERVER_METRICS_H_
#define IDGEN_TELEMETRY_HTTP_SERVER_METRICS_H_

#include <string>

#include "src/http/http_server.h"
#include "src/telemetry/meter.h"

namespace idgen::telemetry {

void RegisterHttpServerMetrics(Meter* meter, const http::HttpServer* server,
                               const std::string& listener, const void* owner);

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_HTTP_SERVER_METRICS_H_
