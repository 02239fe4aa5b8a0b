// Copyright idgen authors.
#include "src/security/certificate_metrics.h"

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>

#include "src/security/certificate_watcher.h"
#include "src/telemetry/logger.h"
#include "src/telemetry/meter.h"

namespace idgen::security {

void RegisterCertificateMetrics(telemetry::Meter* meter, const CertificateWatcher* watcher,
                                const void* owner) {
  meter->CreateObservableGauge(
      "idgen.tls.cert.not_after", "When the served TLS certificate expires (Unix time)", "s",
      [watcher](telemetry::Observer& o) {
        const int64_t not_after = absl::ToUnixSeconds(watcher->Current()->not_after);
        for (const std::string& listener : watcher->listeners()) {
          o.Observe(not_after, {{"listener", listener}});
        }
      },
      owner);
  meter->CreateObservableCounter(
      "idgen.tls.reloads", "TLS certificate reloads, by result", "{reload}",
      [watcher](telemetry::Observer& o) {
        const int64_t successes = watcher->reload_successes();
        const int64_t failures = watcher->reload_failures();
        for (const std::string& listener : watcher->listeners()) {
          o.Observe(successes, {{"listener", listener}, {"result", "success"}});
          o.Observe(failures, {{"listener", listener}, {"result", "failure"}});
        }
      },
      owner);
}

CertificateWatcher::Log TlsReloadLog(telemetry::Logger* logger) {
  return [logger](const std::string& message, bool error) {
    if (logger == nullptr) {
      std::cerr << "idgen: " << message << std::endl;
    } else if (error) {
      logger->Error(message);
    } else {
      logger->Info(message);
    }
  };
}

}  // namespace idgen::security
