// Copyright idgen authors.
//
// The expiry of the certificate a listener serves, as a metric, so that a
// renewal that did not happen pages someone before clients start failing:
//   idgen.tls.certificate.expiry   gauge, s, attribute idgen.listener
//   (Prometheus idgen_tls_certificate_expiry_seconds): time left until the
//   notAfter of the first certificate in the file, read at each collection
//   (so a certificate renewed on disk shows at once); negative once expired;
//   nothing while the file cannot be read.
#ifndef IDGEN_SECURITY_CERTIFICATE_METRICS_H_
#define IDGEN_SECURITY_CERTIFICATE_METRICS_H_

#include <string>

#include "idgen/clock.h"

namespace idgen::telemetry {
class Meter;
}

namespace idgen::security {

// `meter` and `clock` must outlive the registration (or `owner` be
// unregistered first).
void RegisterCertificateExpiry(telemetry::Meter* meter, Clock* clock, std::string listener,
                               std::string cert_file, const void* owner = nullptr);

}  // namespace idgen::security

#endif  // IDGEN_SECURITY_CERTIFICATE_METRICS_H_
