// Copyright idgen authors.
#include "src/telemetry/http_server_metrics.h"

#include <cstdint>
#include <string>

namespace idgen::telemetry {

void RegisterHttpServerMetrics(Meter* meter, const http::HttpServer* server,
                               const std::string& listener, const void* owner) {
  meter->CreateObservableCounter(
      "idgen.http.rejected",
      "HTTP requests and connections refused by a limit, by listener and reason "
      "(header_too_large: 431, body_too_large: 413, header_timeout: header not complete in "
      "time, malformed: 400/501, connection_limit: refused at accept, evicted: idle connection "
      "closed to make room)",
      "{rejection}",
      [server, listener](Observer& o) {
        for (int i = 0; i < http::kRejectReasons; ++i) {
          const auto reason = static_cast<http::RejectReason>(i);
          o.Observe(
              static_cast<int64_t>(server->rejected(reason)),
              {{"listener", listener}, {"reason", std::string(http::RejectReasonName(reason))}});
        }
      },
      owner);
}

}  // namespace idgen::telemetry
