// Copyright idgen authors.
#include "src/telemetry/otlp_env.h"

#include <map>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "src/security/certificate_set.h"
#include "src/security/tls_server_config.h"

namespace idgen::telemetry {
namespace {

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 9110 token characters (a field name).
bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) continue;
    if (absl::string_view("!#$%&'*+-.^_`|~").find(c) == absl::string_view::npos) return false;
  }
  return true;
}

// A header value must not break the request: no control characters
// (CR, LF, NUL, ...) once decoded.
bool IsFieldValue(absl::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

}  // namespace

bool PercentDecodeInto(absl::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      *out += in[i];
      continue;
    }
    if (in.size() - i < 3 || Hex(in[i + 1]) < 0 || Hex(in[i + 2]) < 0) return false;
    *out += static_cast<char>(Hex(in[i + 1]) * 16 + Hex(in[i + 2]));
    i += 2;
  }
  return true;
}

std::string OtlpVariable(const EnvGetter& env, absl::string_view signal_name,
                         absl::string_view field) {
  std::string specific = absl::StrCat("OTEL_EXPORTER_OTLP_", signal_name, "_", field);
  if (env(specific)) return specific;
  std::string general = absl::StrCat("OTEL_EXPORTER_OTLP_", field);
  if (env(general)) return general;
  return "";
}

absl::StatusOr<security::TlsClientConfig> ParseOtlpTls(const EnvGetter& env,
                                                       absl::string_view signal_name,
                                                       absl::Time now, bool check_key_permissions) {
  security::TlsClientConfig tls;
  tls.check_key_permissions = check_key_permissions;
  const std::string ca_var = OtlpVariable(env, signal_name, "CERTIFICATE");
  const std::string cert_var = OtlpVariable(env, signal_name, "CLIENT_CERTIFICATE");
  const std::string key_var = OtlpVariable(env, signal_name, "CLIENT_KEY");
  if (!ca_var.empty()) tls.ca_file = *env(ca_var);
  if (!cert_var.empty()) tls.cert_file = *env(cert_var);
  if (!key_var.empty()) tls.key_file = *env(key_var);

  if (!ca_var.empty()) {
    absl::StatusOr<absl::Time> ca = security::CertificateNotAfter(tls.ca_file);
    if (!ca.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(ca_var, "=\"", tls.ca_file, "\": ", ca.status().message()));
    }
  }
  // No OTEL_* variable names CRLs: idgen's own applies to every signal.
  if (const std::optional<std::string> crl_dir = env("IDGEN_OTLP_CRL_DIR");
      crl_dir.has_value() && !crl_dir->empty()) {
    if (ca_var.empty()) {
      return absl::InvalidArgumentError(
          "IDGEN_OTLP_CRL_DIR needs OTEL_EXPORTER_OTLP_CERTIFICATE (or "
          "OTEL_EXPORTER_OTLP_<SIGNAL>_CERTIFICATE): the CA whose CRLs it holds");
    }
    absl::StatusOr<std::map<std::string, std::string>> crls = security::LoadCrlDirectory(*crl_dir);
    if (!crls.ok()) {
      return absl::InvalidArgumentError(absl::StrReplaceAll(
          crls.status().message(), {{"--tls-crl-dir ", "IDGEN_OTLP_CRL_DIR="}}));
    }
    tls.crl_dir = *crl_dir;
  }
  if (cert_var.empty() != key_var.empty()) {
    const absl::string_view missing = cert_var.empty() ? "CLIENT_CERTIFICATE" : "CLIENT_KEY";
    return absl::InvalidArgumentError(
        absl::StrCat(cert_var.empty() ? key_var : cert_var, " is set but OTEL_EXPORTER_OTLP_",
                     missing, " (or OTEL_EXPORTER_OTLP_<SIGNAL>_", missing,
                     ") is not: a client certificate and its key go together"));
  }
  if (!cert_var.empty()) {
    // The listener's checks cover the same files; its messages name the
    // server's flags, so name the variables instead.
    security::TlsServerConfig as_server;
    as_server.cert_file = tls.cert_file;
    as_server.key_file = tls.key_file;
    as_server.check_key_permissions = check_key_permissions;
    if (absl::Status s = security::CheckTlsServerConfig(as_server, now); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrReplaceAll(
          s.message(), {{"--tls-cert ", cert_var + "="}, {"--tls-key ", key_var + "="}}));
    }
  }
  return tls;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseOtlpHeaders(
    absl::string_view name, absl::string_view value) {
  std::vector<std::pair<std::string, std::string>> out;
  int position = 0;
  for (absl::string_view item : absl::StrSplit(value, ',')) {
    ++position;
    item = absl::StripAsciiWhitespace(item);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    const absl::string_view key =
        absl::StripAsciiWhitespace(item.substr(0, std::min(eq, item.size())));
    std::string decoded;
    if (eq == absl::string_view::npos || !IsToken(key) ||
        !PercentDecodeInto(absl::StripAsciiWhitespace(item.substr(eq + 1)), &decoded) ||
        !IsFieldValue(decoded)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": item ", position,
                       " is not key=value (a header field name, '=', a percent-encoded value "
                       "without control characters); the value is not shown"));
    }
    out.emplace_back(absl::AsciiStrToLower(key), std::move(decoded));
  }
  return out;
}

}  // namespace idgen::telemetry
