// Copyright idgen authors.
//
// SpanContext: the identity of a span as W3C Trace Context carries it
// (trace id, span id, trace flags, tracestate), plus the W3C `traceparent`
// / `tracestate` text codec (https://www.w3.org/TR/trace-context/, level 1).
// Shaped like OpenTelemetry's SpanContext and TraceContext propagator.
//
// Extract rules: version "00" must be exactly "00-<32 hex>-<16 hex>-<2 hex>"
// in lower case; a higher version may carry more fields after a '-'; version
// "ff", all-zero ids, upper-case hex or any other shape is invalid, and an
// invalid traceparent makes the request start a new trace (tracestate is
// then ignored). tracestate longer than 512 characters is dropped.
//
// Thread-safety: plain values and pure functions, except CurrentSpanContext
// which is per thread.
#ifndef IDGEN_TELEMETRY_SPAN_CONTEXT_H_
#define IDGEN_TELEMETRY_SPAN_CONTEXT_H_

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace idgen::telemetry {

using TraceId = std::array<uint8_t, 16>;
using SpanId = std::array<uint8_t, 8>;

struct SpanContext {
  TraceId trace_id{};
  SpanId span_id{};
  uint8_t flags = 0;  // bit 0: sampled
  std::string trace_state;
  bool remote = false;  // extracted from a request rather than made here

  bool valid() const;
  bool sampled() const { return (flags & 1) != 0; }
};

// Lower-case hex of the bytes.
std::string ToHex(const uint8_t* data, size_t size);
inline std::string ToHex(const TraceId& id) { return ToHex(id.data(), id.size()); }
inline std::string ToHex(const SpanId& id) { return ToHex(id.data(), id.size()); }

// "00-<trace id>-<span id>-<flags>" of a valid context.
std::string FormatTraceparent(const SpanContext& context);
// The context a traceparent (and optional tracestate) carries, remote, or
// nullopt when the traceparent is invalid.
std::optional<SpanContext> ParseTraceparent(std::string_view tp, std::string_view tracestate = {});

// Header / metadata names (lower case; gRPC metadata keys must be).
inline constexpr char kTraceparentHeader[] = "traceparent";
inline constexpr char kTracestateHeader[] = "tracestate";

// Propagation over any text map (HTTP headers, gRPC metadata): `get`
// returns a field's value (case-insensitively for HTTP), `set` writes one.
using TextMapGetter = std::function<std::optional<std::string_view>(std::string_view key)>;
using TextMapSetter = std::function<void(std::string_view key, std::string_view value)>;
std::optional<SpanContext> ExtractTraceContext(const TextMapGetter& get);
// Writes traceparent (and tracestate when not empty) of a valid context.
void InjectTraceContext(const SpanContext& context, const TextMapSetter& set);

// The span context current on this thread (set by a Scope), or an invalid
// one. Logs read it to stamp trace_id/span_id.
const SpanContext& CurrentSpanContext();

// Makes `context` current on this thread for the Scope's lifetime.
class Scope {
 public:
  explicit Scope(const SpanContext& context);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  const SpanContext* previous_;
};

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_SPAN_CONTEXT_H_
