// Copyright idgen authors.
//
// Logger: one structured line per event on a stream (stderr by default),
// JSON by default or text, and optionally each record to an OTLP exporter
// through a batch processor. Every line carries time (RFC 3339, UTC, ms),
// level, message, service and, when logged inside a span (see Scope in
// span_context.h) or given one, trace_id and span_id; extra attributes are
// added as fields.
//
//   {"time":"2026-11-26T15:50:04.123Z","level":"info","message":"serving",
//    "service":"idgen-serve","trace_id":"","span_id":"","grpc_port":50051}
//   2026-11-26T15:50:04.123Z INFO idgen-serve serving grpc_port=50051
//
// Thread-safety: Log may be called concurrently; lines never interleave.
#ifndef IDGEN_TELEMETRY_LOGGER_H_
#define IDGEN_TELEMETRY_LOGGER_H_

#include <ostream>
#include <string>

#include "idgen/clock.h"
#include "idgen/internal/mutex.h"
#include "src/telemetry/batch_processor.h"
#include "src/telemetry/log_record.h"
#include "src/telemetry/telemetry_config.h"

namespace idgen::telemetry {

class Logger {
 public:
  // `sink`, `clock` and `exporter` (may be null) outlive the Logger.
  Logger(std::string service, LogFormat format, std::ostream* sink, Clock* clock,
         BatchProcessor<LogRecord>* exporter);

  void Log(Severity severity, std::string message, Attributes attributes = {});
  // With an explicit span context instead of the thread's current one.
  void Log(Severity severity, std::string message, Attributes attributes,
           const SpanContext& context);
  void Info(std::string message, Attributes attributes = {}) {
    Log(Severity::kInfo, std::move(message), std::move(attributes));
  }
  void Warn(std::string message, Attributes attributes = {}) {
    Log(Severity::kWarn, std::move(message), std::move(attributes));
  }
  void Error(std::string message, Attributes attributes = {}) {
    Log(Severity::kError, std::move(message), std::move(attributes));
  }

  // Writes `text` to the sink as it is, never inside another line (console
  // exporters share the sink with the log).
  void WriteRaw(const std::string& text);

  // The line Log would write for `record` (no newline).
  std::string Format(const LogRecord& record) const;

 private:
  const std::string service_;
  const LogFormat format_;
  std::ostream* const sink_;
  Clock* const clock_;
  BatchProcessor<LogRecord>* const exporter_;
  Mutex mu_;  // one line at a time on sink_
};

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_LOGGER_H_
