// Copyright idgen authors.
#include "src/telemetry/span_context.h"

#include <algorithm>

namespace idgen::telemetry {
namespace {

constexpr size_t kTraceparentSize = 55;  // 2+1+32+1+16+1+2
constexpr size_t kMaxTracestate = 512;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // upper case is not allowed by the spec
}

bool ParseHex(std::string_view text, uint8_t* out, size_t size) {
  if (text.size() != size * 2) return false;
  for (size_t i = 0; i < size; ++i) {
    const int hi = HexValue(text[2 * i]);
    const int lo = HexValue(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return true;
}

template <size_t N>
bool AllZero(const std::array<uint8_t, N>& a) {
  return std::all_of(a.begin(), a.end(), [](uint8_t b) { return b == 0; });
}

const SpanContext& Invalid() {
  static const SpanContext* const kInvalid = new SpanContext();
  return *kInvalid;
}

thread_local const SpanContext* current = nullptr;

}  // namespace

bool SpanContext::valid() const { return !AllZero(trace_id) && !AllZero(span_id); }

std::string ToHex(const uint8_t* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

std::string FormatTraceparent(const SpanContext& context) {
  std::string out = "00-";
  out += ToHex(context.trace_id);
  out += '-';
  out += ToHex(context.span_id);
  out += '-';
  out += ToHex(&context.flags, 1);
  return out;
}

std::optional<SpanContext> ParseTraceparent(std::string_view tp, std::string_view tracestate) {
  if (tp.size() < kTraceparentSize) return std::nullopt;
  uint8_t version = 0;
  if (!ParseHex(tp.substr(0, 2), &version, 1) || version == 0xff) return std::nullopt;
  if (version == 0 && tp.size() != kTraceparentSize) return std::nullopt;
  if (tp.size() > kTraceparentSize && tp[kTraceparentSize] != '-') return std::nullopt;
  if (tp[2] != '-' || tp[35] != '-' || tp[52] != '-') return std::nullopt;
  SpanContext ctx;
  if (!ParseHex(tp.substr(3, 32), ctx.trace_id.data(), 16) ||
      !ParseHex(tp.substr(36, 16), ctx.span_id.data(), 8) ||
      !ParseHex(tp.substr(53, 2), &ctx.flags, 1) || !ctx.valid()) {
    return std::nullopt;
  }
  if (version == 0) ctx.flags &= 1;  // only "sampled" is defined in version 00
  if (tracestate.size() <= kMaxTracestate) ctx.trace_state = std::string(tracestate);
  ctx.remote = true;
  return ctx;
}

std::optional<SpanContext> ExtractTraceContext(const TextMapGetter& get) {
  const std::optional<std::string_view> tp = get(kTraceparentHeader);
  if (!tp) return std::nullopt;
  const std::optional<std::string_view> ts = get(kTracestateHeader);
  return ParseTraceparent(*tp, ts.value_or(std::string_view()));
}

void InjectTraceContext(const SpanContext& context, const TextMapSetter& set) {
  if (!context.valid()) return;
  set(kTraceparentHeader, FormatTraceparent(context));
  if (!context.trace_state.empty()) set(kTracestateHeader, context.trace_state);
}

const SpanContext& CurrentSpanContext() { return current != nullptr ? *current : Invalid(); }

Scope::Scope(const SpanContext& context) : previous_(current) { current = &context; }
Scope::~Scope() { current = previous_; }

}  // namespace idgen::telemetry
