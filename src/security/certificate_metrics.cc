// Copyright idgen authors.
#include "src/security/certificate_metrics.h"

#include <utility>

#include "src/security/tls_server_config.h"
#include "src/telemetry/meter.h"

namespace idgen::security {

void RegisterCertificateNotAfter(telemetry::Meter* meter, std::string listener,
                                 std::string cert_file, const void* owner) {
  meter->CreateObservableGauge(
      "idgen.tls.cert.not_after", "When the served TLS certificate expires (Unix time)", "s",
      [listener = std::move(listener), cert_file = std::move(cert_file)](telemetry::Observer& o) {
        absl::StatusOr<absl::Time> not_after = CertificateNotAfter(cert_file);
        if (!not_after.ok()) return;
        o.Observe(absl::ToUnixSeconds(*not_after), {{"listener", listener}});
      },
      owner);
}

}  // namespace idgen::security
