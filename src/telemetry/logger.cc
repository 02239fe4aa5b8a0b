// Copyright idgen authors.
#include "src/telemetry/logger.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace idgen::telemetry {

const char* SeverityText(Severity s) {
  switch (s) {
    case Severity::kDebug:
      return "debug";
    case Severity::kInfo:
      return "info";
    case Severity::kWarn:
      return "warn";
    case Severity::kError:
      return "error";
  }
  return "info";
}

namespace {

bool AllZero(const TraceId& id) {
  for (uint8_t b : id) {
    if (b != 0) return false;
  }
  return true;
}

}  // namespace

Logger::Logger(std::string service, LogFormat format, std::ostream* sink, Clock* clock,
               BatchProcessor<LogRecord>* exporter)
    : service_(std::move(service)),
      format_(format),
      sink_(sink),
      clock_(clock),
      exporter_(exporter) {}

void Logger::Log(Severity severity, std::string message, Attributes attributes) {
  Log(severity, std::move(message), std::move(attributes), CurrentSpanContext());
}

void Logger::Log(Severity severity, std::string message, Attributes attributes,
                 const SpanContext& context) {
  LogRecord r;
  r.time = clock_->WallNow();
  r.severity = severity;
  r.message = std::move(message);
  r.attributes = std::move(attributes);
  if (context.valid()) {
    r.trace_id = context.trace_id;
    r.span_id = context.span_id;
    r.trace_flags = context.flags;
  }
  const std::string line = Format(r);
  if (sink_ != nullptr) {
    MutexLock lock(&mu_);
    *sink_ << line << '\n' << std::flush;
  }
  if (exporter_ != nullptr) exporter_->Add(std::move(r));
}

void Logger::WriteRaw(const std::string& text) {
  if (sink_ == nullptr) return;
  MutexLock lock(&mu_);
  *sink_ << text << std::flush;
}

std::string Logger::Format(const LogRecord& r) const {
  const std::string time = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", r.time, absl::UTCTimeZone());
  const bool traced = !AllZero(r.trace_id);
  const std::string trace_id = traced ? ToHex(r.trace_id) : "";
  const std::string span_id = traced ? ToHex(r.span_id) : "";
  if (format_ == LogFormat::kText) {
    std::string out = absl::StrCat(time, " ", absl::AsciiStrToUpper(SeverityText(r.severity)), " ",
                                   service_, " ", r.message);
    for (const auto& [k, v] : r.attributes)
      absl::StrAppend(&out, " ", k, "=", AttributeToString(v));
    if (traced) absl::StrAppend(&out, " trace_id=", trace_id, " span_id=", span_id);
    return out;
  }
  nlohmann::ordered_json j;
  j["time"] = time;
  j["level"] = SeverityText(r.severity);
  j["message"] = r.message;
  j["service"] = service_;
  j["trace_id"] = trace_id;
  j["span_id"] = span_id;
  for (const auto& [k, v] : r.attributes) {
    if (j.contains(k)) continue;  // the fixed fields keep their meaning
    std::visit([&j, &key = k](const auto& value) { j[key] = value; }, v);
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace idgen::telemetry
