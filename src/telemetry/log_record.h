// Copyright idgen authors.
//
// LogRecord: one structured log event, as the Logger writes it and the OTLP
// log exporter sends it.
//
// Thread-safety: plain values.
#ifndef IDGEN_TELEMETRY_LOG_RECORD_H_
#define IDGEN_TELEMETRY_LOG_RECORD_H_

#include <string>

#include "absl/time/time.h"
#include "src/telemetry/attributes.h"
#include "src/telemetry/span_context.h"

namespace idgen::telemetry {

// Values are OTLP SeverityNumbers (the first of each range).
enum class Severity { kDebug = 5, kInfo = 9, kWarn = 13, kError = 17 };

// "debug", "info", "warn", "error".
const char* SeverityText(Severity s);

struct LogRecord {
  absl::Time time;
  Severity severity = Severity::kInfo;
  std::string message;
  Attributes attributes;
  TraceId trace_id{};  // all zero when logged outside a span
  SpanId span_id{};
  uint8_t trace_flags = 0;
};

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_LOG_RECORD_H_
