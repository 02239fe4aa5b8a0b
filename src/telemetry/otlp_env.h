// Copyright idgen authors.
//
// The OTLP exporter variables whose bad values stop a process at start-up
// (telemetry_config.h turns the rest into warnings): the TLS files and the
// header list, per the OpenTelemetry specification
// (specification/protocol/exporter.md):
//
//   OTEL_EXPORTER_OTLP_[<SIGNAL>_]CERTIFICATE         CA (PEM) the collector's
//       certificate must chain to; unset: the system's trust store
//   OTEL_EXPORTER_OTLP_[<SIGNAL>_]CLIENT_CERTIFICATE  client certificate (PEM)
//   OTEL_EXPORTER_OTLP_[<SIGNAL>_]CLIENT_KEY          its private key (PEM)
//   OTEL_EXPORTER_OTLP_[<SIGNAL>_]HEADERS             "k=v,k2=v2", values
//       percent-encoded (W3C Baggage-like)
//
// SIGNAL is TRACES, METRICS or LOGS; a per-signal variable wins over the
// general one, each variable on its own. Errors name the variable (and the
// file), never a header value.
//
// Thread-safety: pure functions.
#ifndef IDGEN_TELEMETRY_OTLP_ENV_H_
#define IDGEN_TELEMETRY_OTLP_ENV_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "src/security/tls_client_config.h"

namespace idgen::telemetry {

// A variable's value (surrounding white space removed), or nullopt when
// unset or empty.
using EnvGetter = std::function<std::optional<std::string>(absl::string_view name)>;

// The TLS files for `signal_name` ("TRACES", ...), each checked now: a CA
// that parses; a client certificate and key that go together, load, match,
// have not expired, with a key file only its owner may read (unless
// `check_key_permissions` is false); IDGEN_OTLP_CRL_DIR (every signal: no
// OTEL_* variable names CRLs), a directory of hashed CRLs that loads, with a
// CA set. INVALID_ARGUMENT naming the variable otherwise. All empty when
// none is set.
[[nodiscard]] absl::StatusOr<security::TlsClientConfig> ParseOtlpTls(const EnvGetter& env,
                                                                     absl::string_view signal_name,
                                                                     absl::Time now,
                                                                     bool check_key_permissions);

// The name of the variable that gave `field` ("CERTIFICATE",
// "CLIENT_CERTIFICATE", "CLIENT_KEY", "HEADERS") for `signal_name`: the
// per-signal one when set, else the general one; "" when neither is.
std::string OtlpVariable(const EnvGetter& env, absl::string_view signal_name,
                         absl::string_view field);

// "k=v,k2=v2" of variable `name`: keys are HTTP field names (lower-cased
// here), values percent-decoded; white space around items, keys and values
// is dropped, empty items are skipped. INVALID_ARGUMENT naming the variable
// and the item's position (not its text, which may hold a secret).
[[nodiscard]] absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseOtlpHeaders(
    absl::string_view name, absl::string_view value);

// Decodes %XX escapes of `in` into `out`; false on a broken escape. The
// values of OTEL_RESOURCE_ATTRIBUTES and of the header lists are written so.
bool PercentDecodeInto(absl::string_view in, std::string* out);

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_OTLP_ENV_H_
