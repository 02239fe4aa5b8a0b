// Copyright idgen authors.
//
// Samplers, as OpenTelemetry defines them (OTEL_TRACES_SAMPLER):
//   always_on, always_off, traceidratio (ARG = ratio in [0,1]), and the
//   parentbased_* variants, which follow a valid parent's sampled flag and
//   ask the root sampler only for new traces. parentbased_always_on is the
//   default.
// traceidratio compares the trace id's last 8 bytes (big-endian) with
// ratio * 2^64, so every service with the same ratio agrees on a trace.
//
// Thread-safety: ShouldSample may be called concurrently.
#ifndef IDGEN_TELEMETRY_SAMPLER_H_
#define IDGEN_TELEMETRY_SAMPLER_H_

#include <memory>
#include <string>

#include "src/telemetry/span_context.h"

namespace idgen::telemetry {

class Sampler {
 public:
  virtual ~Sampler() = default;
  // `parent` may be invalid (a root span).
  virtual bool ShouldSample(const SpanContext& parent, const TraceId& trace_id) const = 0;
  // E.g. "ParentBased{root=TraceIdRatioBased{0.25}}".
  virtual std::string Description() const = 0;
};

std::unique_ptr<Sampler> AlwaysOnSampler();
std::unique_ptr<Sampler> AlwaysOffSampler();
std::unique_ptr<Sampler> TraceIdRatioSampler(double ratio);  // clamped to [0,1]
std::unique_ptr<Sampler> ParentBasedSampler(std::unique_ptr<Sampler> root);

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_SAMPLER_H_
