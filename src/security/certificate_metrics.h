// Copyright idgen authors.
//
// The expiry of the certificate a listener serves, as a metric, so that a
// renewal that did not happen pages someone before clients start failing:
//   idgen.tls.cert.not_after   gauge, s, attribute listener ("grpc",
//   "http"; Prometheus idgen_tls_cert_not_after_seconds{listener}): the
//   notAfter of the first certificate in the file as Unix seconds, read at
//   each collection (so a certificate renewed on disk shows at once);
//   nothing while the file cannot be read. Alert on
//   `idgen_tls_cert_not_after_seconds - time()`.
#ifndef IDGEN_SECURITY_CERTIFICATE_METRICS_H_
#define IDGEN_SECURITY_CERTIFICATE_METRICS_H_

#include <string>

namespace idgen::telemetry {
class Meter;
}

namespace idgen::security {

// `meter` must outlive the registration (or `owner` be unregistered first).
void RegisterCertificateNotAfter(telemetry::Meter* meter, std::string listener,
                                 std::string cert_file, const void* owner = nullptr);

}  // namespace idgen::security

#endif  // IDGEN_SECURITY_CERTIFICATE_METRICS_H_
