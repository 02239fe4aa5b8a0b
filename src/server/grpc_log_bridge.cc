// Copyright idgen authors.
#include "src/server/grpc_log_bridge.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include <grpc/support/log.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace idgen::server {
namespace {

using telemetry::Severity;

Severity FromGpr(gpr_log_severity s) {
  switch (s) {
    case GPR_LOG_SEVERITY_DEBUG:
      return Severity::kDebug;
    case GPR_LOG_SEVERITY_INFO:
      return Severity::kInfo;
    case GPR_LOG_SEVERITY_ERROR:
      break;
  }
  return Severity::kError;
}

void OnGprLog(gpr_log_func_args* args) {
  GrpcLogBridge::Install().Handle(FromGpr(args->severity), args->file != nullptr ? args->file : "",
                                  args->line, args->message != nullptr ? args->message : "");
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// The last path component: gRPC passes its source files as "./src/...".
std::string_view BaseName(std::string_view file) {
  const size_t slash = file.rfind('/');
  return slash == std::string_view::npos ? file : file.substr(slash + 1);
}

}  // namespace

std::string_view GrpcRefusalName(GrpcRefusal r) {
  switch (r) {
    case GrpcRefusal::kPingStrikes:
      return "ping_strikes";
    case GrpcRefusal::kIdleTimeout:
      return "idle_timeout";
    case GrpcRefusal::kMetadataTooLarge:
      return "metadata_too_large";
    case GrpcRefusal::kHandshakeFailed:
      return "handshake_failed";
  }
  return "unknown";
}

// The lines, as gRPC 1.51 writes them:
//   chttp2_transport.cc  "<peer>: Sending goaway err=UNKNOWN:too_many_pings {...}"
//   chttp2_transport.cc  "<peer>: Sending goaway err=UNKNOWN:enter idle {...}"
//   hpack_parser.cc      "received initial metadata size exceeds limit (4250 vs. 2048)..."
//                        (or "trailing metadata")
//   chttp2_server.cc     "Handshaking failed: <error>"
std::optional<GrpcRefusal> ClassifyGrpcLog(std::string_view file, std::string_view message) {
  const std::string_view base = BaseName(file);
  if (base == "chttp2_transport.cc" && Contains(message, "Sending goaway")) {
    if (Contains(message, "too_many_pings")) return GrpcRefusal::kPingStrikes;
    if (Contains(message, "enter idle")) return GrpcRefusal::kIdleTimeout;
    return std::nullopt;
  }
  if (base == "hpack_parser.cc" && Contains(message, "metadata size exceeds limit")) {
    return GrpcRefusal::kMetadataTooLarge;
  }
  if (base == "chttp2_server.cc" && message.starts_with("Handshaking failed")) {
    return GrpcRefusal::kHandshakeFailed;
  }
  return std::nullopt;
}

Severity GrpcVerbosity(const char* value) {
  const std::string v = absl::AsciiStrToUpper(value != nullptr ? value : "");
  if (v == "DEBUG") return Severity::kDebug;
  if (v == "INFO") return Severity::kInfo;
  return Severity::kError;
}

GrpcLogBridge::GrpcLogBridge()
    : threshold_(GrpcVerbosity(std::getenv("GRPC_VERBOSITY"))),
      clock_(SystemClock::Get()),
      refilled_at_(clock_->MonotonicNow()) {}

void GrpcLogBridge::SetClock(Clock* clock) {
  MutexLock lock(&mu_);
  clock_ = clock;
  refilled_at_ = clock_->MonotonicNow();
  tokens_ = kGrpcLogLinesPerSecond;
  dropped_since_ = 0;
}

GrpcLogBridge& GrpcLogBridge::Install() {
  // Constructed and installed once, thread-safely; never destroyed, as gRPC
  // may log until the process ends.
  static GrpcLogBridge* const bridge = [] {
    auto* b = new GrpcLogBridge();
    gpr_set_log_function(&OnGprLog);
    gpr_set_log_verbosity(GPR_LOG_SEVERITY_DEBUG);
    return b;
  }();
  return *bridge;
}

int GrpcLogBridge::SetSink(Sink sink) {
  MutexLock lock(&mu_);
  sink_ = std::move(sink);
  return ++sink_handle_;
}

void GrpcLogBridge::ClearSink(int handle) {
  MutexLock lock(&mu_);
  if (handle == sink_handle_) sink_ = nullptr;
}

void GrpcLogBridge::Handle(Severity severity, std::string_view file, int line,
                           std::string_view message) {
  if (std::optional<GrpcRefusal> r = ClassifyGrpcLog(file, message)) {
    counts_[static_cast<int>(*r)].fetch_add(1, std::memory_order_relaxed);
  }
  if (static_cast<int>(severity) < static_cast<int>(threshold_)) return;
  MutexLock lock(&mu_);
  const absl::Duration now = clock_->MonotonicNow();
  tokens_ =
      std::min<double>(kGrpcLogLinesPerSecond, tokens_ + absl::ToDoubleSeconds(now - refilled_at_) *
                                                             kGrpcLogLinesPerSecond);
  refilled_at_ = now;
  if (tokens_ < 1) {
    ++dropped_since_;
    dropped_total_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  tokens_ -= 1;
  if (dropped_since_ > 0) {
    Emit(Severity::kWarn, "grpc_log_bridge.cc", 0,
         absl::StrCat(dropped_since_, " gRPC log lines dropped (more than ", kGrpcLogLinesPerSecond,
                      " a second)"));
    dropped_since_ = 0;
  }
  Emit(severity, file, line, message);
}

void GrpcLogBridge::Emit(Severity severity, std::string_view file, int line,
                         std::string_view message) {
  if (sink_) {
    sink_(severity, BaseName(file), line, message);
    return;
  }
  const std::string text = std::string(telemetry::SeverityText(severity)) + " grpc " +
                           std::string(BaseName(file)) + ":" + std::to_string(line) + "] " +
                           std::string(message) + "\n";
  std::fputs(text.c_str(), stderr);
}

}  // namespace idgen::server
