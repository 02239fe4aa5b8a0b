// Copyright idgen authors.
#include "src/telemetry/span_context.h"

#include <map>

#include "gtest/gtest.h"
#include "src/telemetry/sampler.h"

namespace idgen::telemetry {
namespace {

constexpr char kTp[] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

TEST(TraceparentTest, ParsesAndFormatsRoundTrip) {
  std::optional<SpanContext> c = ParseTraceparent(kTp, "vendor=abc");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(ToHex(c->trace_id), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(ToHex(c->span_id), "b7ad6b7169203331");
  EXPECT_TRUE(c->sampled());
  EXPECT_TRUE(c->remote);
  EXPECT_EQ(c->trace_state, "vendor=abc");
  EXPECT_EQ(FormatTraceparent(*c), kTp);
}

TEST(TraceparentTest, RejectsMalformedValues) {
  for (const char* bad : {
           "",
           "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",       // short
           "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",    // upper case
           "00-00000000000000000000000000000000-b7ad6b7169203331-01",    // zero trace id
           "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",    // zero span id
           "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",    // version ff
           "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x",  // v00 with extra
           "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",    // separator
           "00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01",    // not hex
       }) {
    EXPECT_FALSE(ParseTraceparent(bad).has_value()) << bad;
  }
}

TEST(TraceparentTest, FutureVersionMayCarryMoreFields) {
  std::optional<SpanContext> c =
      ParseTraceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03-extra");
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->sampled());
  EXPECT_FALSE(
      ParseTraceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03x").has_value());
}

TEST(TraceparentTest, TracestateTooLongIsDropped) {
  std::optional<SpanContext> c = ParseTraceparent(kTp, std::string(600, 'a'));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->trace_state, "");
}

TEST(PropagationTest, ExtractAndInjectOverATextMap) {
  std::map<std::string, std::string> in = {{"traceparent", kTp}, {"tracestate", "a=1"}};
  std::optional<SpanContext> c =
      ExtractTraceContext([&in](std::string_view k) -> std::optional<std::string_view> {
        auto it = in.find(std::string(k));
        if (it == in.end()) return std::nullopt;
        return it->second;
      });
  ASSERT_TRUE(c.has_value());
  std::map<std::string, std::string> out;
  InjectTraceContext(
      *c, [&out](std::string_view k, std::string_view v) { out[std::string(k)] = std::string(v); });
  EXPECT_EQ(out, in);
  out.clear();
  InjectTraceContext(SpanContext(), [&out](std::string_view k, std::string_view v) {
    out[std::string(k)] = std::string(v);
  });
  EXPECT_TRUE(out.empty());
}

TEST(ScopeTest, NestsAndRestores) {
  EXPECT_FALSE(CurrentSpanContext().valid());
  SpanContext outer = *ParseTraceparent(kTp);
  {
    Scope a(outer);
    EXPECT_EQ(CurrentSpanContext().span_id, outer.span_id);
    SpanContext inner = outer;
    inner.span_id[0] ^= 1;
    {
      Scope b(inner);
      EXPECT_EQ(CurrentSpanContext().span_id, inner.span_id);
    }
    EXPECT_EQ(CurrentSpanContext().span_id, outer.span_id);
  }
  EXPECT_FALSE(CurrentSpanContext().valid());
}

TEST(SamplerTest, ParentBasedFollowsTheParent) {
  std::unique_ptr<Sampler> s = ParentBasedSampler(AlwaysOffSampler());
  SpanContext parent = *ParseTraceparent(kTp);
  EXPECT_TRUE(s->ShouldSample(parent, parent.trace_id));
  parent.flags = 0;
  EXPECT_FALSE(ParentBasedSampler(AlwaysOnSampler())->ShouldSample(parent, parent.trace_id));
  EXPECT_FALSE(s->ShouldSample(SpanContext(), parent.trace_id));  // root: ask AlwaysOff
  EXPECT_TRUE(ParentBasedSampler(AlwaysOnSampler())->ShouldSample(SpanContext(), parent.trace_id));
}

TEST(SamplerTest, TraceIdRatioUsesTheLowEightBytes) {
  TraceId low{};
  TraceId high{};
  low[15] = 1;  // tiny: sampled by any ratio > 0
  for (size_t i = 8; i < 16; ++i) high[i] = 0xff;
  EXPECT_TRUE(TraceIdRatioSampler(0.01)->ShouldSample(SpanContext(), low));
  EXPECT_FALSE(TraceIdRatioSampler(0.99)->ShouldSample(SpanContext(), high));
  EXPECT_TRUE(TraceIdRatioSampler(1.0)->ShouldSample(SpanContext(), high));
  EXPECT_FALSE(TraceIdRatioSampler(0.0)->ShouldSample(SpanContext(), low));
  // About half of many random-ish ids at 0.5.
  int sampled = 0;
  std::unique_ptr<Sampler> half = TraceIdRatioSampler(0.5);
  for (int i = 0; i < 1000; ++i) {
    TraceId id{};
    uint64_t x = 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(i + 1);
    for (size_t b = 8; b < 16; ++b, x >>= 8) id[b] = static_cast<uint8_t>(x);
    sampled += half->ShouldSample(SpanContext(), id) ? 1 : 0;
  }
  EXPECT_GT(sampled, 400);
  EXPECT_LT(sampled, 600);
}

}  // namespace
}  // namespace idgen::telemetry
