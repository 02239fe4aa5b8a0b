// Copyright idgen authors.
#include "src/telemetry/span.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <random>

#include "idgen/random.h"

namespace idgen::telemetry {
namespace {

// A per-thread generator seeded once from the OS: span ids must be
// unpredictable enough not to collide, not secret, and a system call per
// span would cost more than the rest of the span.
uint64_t Random64() {
  thread_local std::mt19937_64 engine = [] {
    std::array<uint8_t, 8> bytes{};
    OsRandom::Default()->Fill(absl::MakeSpan(bytes));
    uint64_t seed = 0;
    std::memcpy(&seed, bytes.data(), sizeof(seed));
    return std::mt19937_64(seed);
  }();
  return engine();
}

template <size_t N>
void FillRandom(std::array<uint8_t, N>* out) {
  do {
    for (size_t i = 0; i < N; i += 8) {
      const uint64_t r = Random64();
      std::memcpy(out->data() + i, &r, std::min<size_t>(8, N - i));
    }
  } while (std::all_of(out->begin(), out->end(), [](uint8_t b) { return b == 0; }));
}

}  // namespace

TraceId NewTraceId() {
  TraceId id;
  FillRandom(&id);
  return id;
}

SpanId NewSpanId() {
  SpanId id;
  FillRandom(&id);
  return id;
}

Span::Span(SpanData data, bool recording, SpanProcessor* processor, Clock* clock)
    : data_(std::move(data)), recording_(recording), processor_(processor), clock_(clock) {}

Span::~Span() { End(); }

void Span::SetName(std::string name) {
  if (recording_) data_.name = std::move(name);
}

void Span::SetAttribute(std::string key, AttributeValue value) {
  if (!recording_) return;
  for (Attribute& a : data_.attributes) {
    if (a.first == key) {
      a.second = std::move(value);
      return;
    }
  }
  data_.attributes.emplace_back(std::move(key), std::move(value));
}

void Span::SetStatus(SpanStatus status, std::string message) {
  if (!recording_) return;
  data_.status = status;
  data_.status_message = status == SpanStatus::kError ? std::move(message) : std::string();
}

void Span::End() {
  if (ended_) return;
  ended_ = true;
  if (!recording_ || processor_ == nullptr) return;
  data_.end = clock_->WallNow();
  processor_->OnEnd(std::move(data_));
}

Tracer::Tracer(std::unique_ptr<Sampler> sampler, SpanProcessor* processor, Clock* clock)
    : sampler_(std::move(sampler)), processor_(processor), clock_(clock) {}

std::unique_ptr<Span> Tracer::StartSpan(std::string name, SpanKind kind, const SpanContext& parent,
                                        Attributes attributes) {
  SpanData data;
  if (parent.valid()) {
    data.context.trace_id = parent.trace_id;
    data.context.trace_state = parent.trace_state;
    data.parent_span_id = parent.span_id;
  } else {
    data.context.trace_id = NewTraceId();
  }
  data.context.span_id = NewSpanId();
  const bool sampled = sampler_->ShouldSample(parent, data.context.trace_id);
  data.context.flags = sampled ? 1 : 0;
  // Without a processor nobody would see the span: keep the context (it
  // still propagates, sampled flag included) and record nothing.
  const bool recording = sampled && processor_ != nullptr;
  if (recording) {
    data.name = std::move(name);
    data.kind = kind;
    data.start = clock_->WallNow();
    data.attributes = std::move(attributes);
  }
  return std::unique_ptr<Span>(new Span(std::move(data), recording, processor_, clock_));
}

}  // namespace idgen::telemetry
