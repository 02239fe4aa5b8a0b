// Copyright idgen authors.
//
// GrpcLogBridge: gRPC core's log, read for the refusals it reports.
//
// gRPC 1.51 enforces several GrpcLimits inside its transport, before any code
// of idgen sees the connection or the call, and offers no hook or counter for
// them. It does log some of them, at debug severity and whether or not
// tracing is on; the bridge takes gRPC's log (gpr_set_log_function), lets
// those lines through (gpr_set_log_verbosity(DEBUG)) and counts them:
//
//   ping_strikes        GOAWAY too_many_pings: the keepalive policy closed a
//                       client that pinged too often (min_ping_interval,
//                       max_ping_strikes)
//   idle_timeout        GOAWAY after max_connection_idle without a call
//   metadata_too_large  a header list above max_metadata_bytes
//   handshake_failed    a connection whose handshake failed on the server
//                       side: plaintext to a TLS port, no or a refused client
//                       certificate (unknown CA, expired, revoked), a
//                       handshake that timed out
//
// What 1.51 neither logs nor exposes stays uncounted: a request above
// max_receive_message_bytes (the call fails with RESOURCE_EXHAUSTED before
// the completion queue hands it out) and a stream above
// max_concurrent_streams (REFUSED_STREAM). docs/OPERATIONS.md says so.
//
// Every other line is passed to the sink when its severity is at or above
// what GRPC_VERBOSITY asks for (DEBUG, INFO or ERROR; ERROR when unset or
// unknown), as gRPC would have printed it; the rest is dropped. Debug lines
// are rare outside the events above (none per call), so the lowered
// threshold costs nothing on the request path.
//
// At most kGrpcLogLinesPerSecond lines a second are passed on (a token
// bucket with a burst of as many): a flood of failed handshakes must not
// flood the log with one error line each. What is held back is counted, and
// the next line passed on is preceded by one that says how many were
// dropped. The refusal counts are never limited.
//
// The bridge is process-wide (gRPC's log is); so are its counts, which is
// what they mean with one node per process.
//
// Thread-safety: every member may be called from any thread.
#ifndef IDGEN_SERVER_GRPC_LOG_BRIDGE_H_
#define IDGEN_SERVER_GRPC_LOG_BRIDGE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "absl/time/time.h"
#include "idgen/clock.h"
#include "idgen/internal/mutex.h"
#include "src/telemetry/log_record.h"

namespace idgen::server {

inline constexpr int kGrpcLogLinesPerSecond = 50;

enum class GrpcRefusal { kPingStrikes, kIdleTimeout, kMetadataTooLarge, kHandshakeFailed };
inline constexpr int kGrpcRefusals = 4;

// "ping_strikes", "idle_timeout", "metadata_too_large", "handshake_failed".
std::string_view GrpcRefusalName(GrpcRefusal r);

// The refusal a gRPC log line (its source file and message) reports, if any.
std::optional<GrpcRefusal> ClassifyGrpcLog(std::string_view file, std::string_view message);

// The least severity GRPC_VERBOSITY's value asks to print: "DEBUG", "INFO"
// or "ERROR" (any case); ERROR for anything else, as gRPC does.
telemetry::Severity GrpcVerbosity(const char* value);

class GrpcLogBridge {
 public:
  // Receives the lines that pass GRPC_VERBOSITY: severity, the gRPC source
  // file and line, and the message.
  using Sink = std::function<void(telemetry::Severity, std::string_view file, int line,
                                  std::string_view message)>;

  // The process's bridge, installed as gRPC's log function on the first
  // call (before or after gRPC starts). Lines go to stderr until SetSink.
  static GrpcLogBridge& Install();

  // Sends passed-on lines to `sink` from now on; returns a handle for
  // ClearSink. The sink must stay callable until ClearSink returns. It runs
  // under the bridge's lock, so it must not make gRPC log (idgen's Logger
  // does not: its exporter sends from a thread of its own).
  int SetSink(Sink sink);
  // Back to stderr, if `handle` is still the current sink (a later SetSink
  // wins over an earlier one's ClearSink).
  void ClearSink(int handle);

  int64_t refused(GrpcRefusal r) const {
    return counts_[static_cast<int>(r)].load(std::memory_order_relaxed);
  }

  // Lines held back by the rate limit, since the start.
  int64_t dropped() const { return dropped_total_.load(std::memory_order_relaxed); }

  // What gRPC's log function does with one line (public for tests).
  void Handle(telemetry::Severity severity, std::string_view file, int line,
              std::string_view message);
  // The clock of the rate limit (outlives the bridge's use of it; the
  // system clock until then). For tests.
  void SetClock(Clock* clock);

 private:
  GrpcLogBridge();
  // Passes one line on to the sink, or to stderr.
  void Emit(telemetry::Severity severity, std::string_view file, int line, std::string_view message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const telemetry::Severity threshold_;
  std::array<std::atomic<int64_t>, kGrpcRefusals> counts_{};
  std::atomic<int64_t> dropped_total_{0};
  Mutex mu_;
  Sink sink_ ABSL_GUARDED_BY(mu_);
  int sink_handle_ ABSL_GUARDED_BY(mu_) = 0;
  Clock* clock_ ABSL_GUARDED_BY(mu_);
  double tokens_ ABSL_GUARDED_BY(mu_) = kGrpcLogLinesPerSecond;
  absl::Duration refilled_at_ ABSL_GUARDED_BY(mu_);
  int64_t dropped_since_ ABSL_GUARDED_BY(mu_) = 0;  // held back since the last line passed on
};

}  // namespace idgen::server

#endif  // IDGEN_SERVER_GRPC_LOG_BRIDGE_H_
