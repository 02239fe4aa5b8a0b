// Copyright idgen authors.
//
// The TLS metrics of the listeners a CertificateWatcher serves, one series
// per listener ("grpc" and "admin" on a node, "http" on the gateway):
//
//   idgen.tls.cert.not_after  gauge, s, attribute listener (Prometheus
//     idgen_tls_cert_not_after_seconds{listener}): the notAfter of the
//     certificate being served, as Unix seconds; it moves when a renewal is
//     taken, not when a file that fails to load is written. Alert on
//     `idgen_tls_cert_not_after_seconds - time()`.
//   idgen.tls.reloads  counter, attributes listener and result ("success",
//     "failure") (Prometheus idgen_tls_reloads_total{listener,result}):
//     sets taken after the first, and changes (or SIGHUPs) whose files did
//     not load and left the previous certificate in use. Alert on any
//     increase of result="failure".
#ifndef IDGEN_SECURITY_CERTIFICATE_METRICS_H_
#define IDGEN_SECURITY_CERTIFICATE_METRICS_H_

#include "src/security/certificate_watcher.h"

namespace idgen::telemetry {
class Logger;
class Meter;
}  // namespace idgen::telemetry

namespace idgen::security {

// `meter` must outlive the registration, and `watcher` too (or `owner` be
// unregistered first).
void RegisterCertificateMetrics(telemetry::Meter* meter, const CertificateWatcher* watcher,
                                const void* owner = nullptr);

// A CertificateWatcher log that writes to `logger` (errors as ERROR, taken
// sets as INFO), or to standard error when `logger` is null. `logger` must
// outlive the watcher.
CertificateWatcher::Log TlsReloadLog(telemetry::Logger* logger);

}  // namespace idgen::security

#endif  // IDGEN_SECURITY_CERTIFICATE_METRICS_H_
