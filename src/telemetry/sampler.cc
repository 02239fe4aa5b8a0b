// Copyright idgen authors.
#include "src/telemetry/sampler.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace idgen::telemetry {
namespace {

class Constant final : public Sampler {
 public:
  explicit Constant(bool on) : on_(on) {}
  bool ShouldSample(const SpanContext& /*parent*/, const TraceId& /*trace_id*/) const override {
    return on_;
  }
  std::string Description() const override { return on_ ? "AlwaysOnSampler" : "AlwaysOffSampler"; }

 private:
  const bool on_;
};

class Ratio final : public Sampler {
 public:
  explicit Ratio(double ratio) : ratio_(std::clamp(std::isnan(ratio) ? 0.0 : ratio, 0.0, 1.0)) {
    // 2^64 * ratio, saturating: ratio 1 samples every id.
    const long double bound = std::ldexp(static_cast<long double>(ratio_), 64);
    all_ = ratio_ >= 1.0;
    bound_ = all_ ? 0 : static_cast<uint64_t>(bound);
  }
  bool ShouldSample(const SpanContext& /*parent*/, const TraceId& trace_id) const override {
    if (all_) return true;
    uint64_t low = 0;
    for (size_t i = 8; i < 16; ++i) low = (low << 8) | trace_id[i];
    return low < bound_;
  }
  std::string Description() const override {
    return absl::StrCat("TraceIdRatioBased{", ratio_, "}");
  }

 private:
  double ratio_;
  bool all_ = false;
  uint64_t bound_ = 0;
};

class ParentBased final : public Sampler {
 public:
  explicit ParentBased(std::unique_ptr<Sampler> root) : root_(std::move(root)) {}
  bool ShouldSample(const SpanContext& parent, const TraceId& trace_id) const override {
    if (parent.valid()) return parent.sampled();
    return root_->ShouldSample(parent, trace_id);
  }
  std::string Description() const override {
    return absl::StrCat("ParentBased{root=", root_->Description(), "}");
  }

 private:
  std::unique_ptr<Sampler> root_;
};

}  // namespace

std::unique_ptr<Sampler> AlwaysOnSampler() { return std::make_unique<Constant>(true); }
std::unique_ptr<Sampler> AlwaysOffSampler() { return std::make_unique<Constant>(false); }
std::unique_ptr<Sampler> TraceIdRatioSampler(double ratio) {
  return std::make_unique<Ratio>(ratio);
}
std::unique_ptr<Sampler> ParentBasedSampler(std::unique_ptr<Sampler> root) {
  return std::make_unique<ParentBased>(std::move(root));
}

}  // namespace idgen::telemetry
