// Copyright idgen authors.
//
// Span and Tracer, shaped like the OpenTelemetry tracing API. A Tracer
// starts spans (choosing ids and asking the sampler); a Span collects name,
// kind, attributes and status and, when ended, hands a SpanData to the
// SpanProcessor if it was sampled. An unsampled span still has a valid
// context (it propagates downstream with the sampled flag off) but records
// nothing.
//
// Thread-safety: Tracer::StartSpan may be called concurrently. One Span is
// used by one thread at a time. The processor must outlive the Tracer and
// its spans.
//
// Example:
//   std::unique_ptr<Span> span = tracer.StartSpan("GET /info", SpanKind::kServer, parent);
//   span->SetAttribute("http.response.status_code", int64_t{200});
//   span->End();  // or let it go out of scope
#ifndef IDGEN_TELEMETRY_SPAN_H_
#define IDGEN_TELEMETRY_SPAN_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "idgen/clock.h"
#include "src/telemetry/attributes.h"
#include "src/telemetry/sampler.h"
#include "src/telemetry/span_context.h"

namespace idgen::telemetry {

// Values as in OTLP's Span.SpanKind.
enum class SpanKind { kInternal = 1, kServer = 2, kClient = 3, kProducer = 4, kConsumer = 5 };
// Values as in OTLP's Status.StatusCode.
enum class SpanStatus { kUnset = 0, kOk = 1, kError = 2 };

// A finished span, as exporters see it.
struct SpanData {
  std::string name;
  SpanKind kind = SpanKind::kInternal;
  SpanContext context;
  SpanId parent_span_id{};  // all zero for a root span
  absl::Time start;
  absl::Time end;
  Attributes attributes;
  SpanStatus status = SpanStatus::kUnset;
  std::string status_message;
};

class SpanProcessor {
 public:
  virtual ~SpanProcessor() = default;
  // Called once per ended, sampled span. Must not block.
  virtual void OnEnd(SpanData&& span) = 0;
};

class Span {
 public:
  ~Span();  // ends the span if End was not called
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;

  const SpanContext& context() const { return data_.context; }
  bool recording() const { return recording_; }
  void SetName(std::string name);
  void SetAttribute(std::string key, AttributeValue value);
  void SetStatus(SpanStatus status, std::string message = "");
  // Idempotent.
  void End();

 private:
  friend class Tracer;
  Span(SpanData data, bool recording, SpanProcessor* processor, Clock* clock);

  SpanData data_;
  bool recording_;
  bool ended_ = false;
  SpanProcessor* processor_;
  Clock* clock_;
};

class Tracer {
 public:
  // `processor` may be null (nothing is exported, spans do not record but
  // still propagate their context); all outlive the Tracer.
  Tracer(std::unique_ptr<Sampler> sampler, SpanProcessor* processor, Clock* clock);

  // A new span, child of `parent` when that is valid (same trace id, parent
  // span id set), otherwise the root of a new trace.
  std::unique_ptr<Span> StartSpan(std::string name, SpanKind kind, const SpanContext& parent,
                                  Attributes attributes = {});

  const Sampler& sampler() const { return *sampler_; }

 private:
  std::unique_ptr<Sampler> sampler_;
  SpanProcessor* processor_;
  Clock* clock_;
};

// Fresh random ids (never all zero).
TraceId NewTraceId();
SpanId NewSpanId();

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_SPAN_H_
