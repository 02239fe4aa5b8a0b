// Copyright idgen authors.
#include "src/telemetry/span.h"

#include <vector>

#include "gtest/gtest.h"

namespace idgen::telemetry {
namespace {

class Collect final : public SpanProcessor {
 public:
  void OnEnd(SpanData&& span) override { spans.push_back(std::move(span)); }
  std::vector<SpanData> spans;
};

TEST(TracerTest, ChildSharesTraceAndPointsAtParent) {
  FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  Collect sink;
  Tracer tracer(ParentBasedSampler(AlwaysOnSampler()), &sink, &clock);
  std::unique_ptr<Span> root = tracer.StartSpan("root", SpanKind::kServer, SpanContext());
  std::unique_ptr<Span> child = tracer.StartSpan("child", SpanKind::kClient, root->context(),
                                                 {{"rpc.system", std::string("grpc")}});
  clock.Advance(absl::Milliseconds(3));
  child->SetStatus(SpanStatus::kError, "boom");
  child->End();
  child->End();  // idempotent
  root.reset();  // ends on destruction
  ASSERT_EQ(sink.spans.size(), 2u);
  const SpanData& c = sink.spans[0];
  const SpanData& r = sink.spans[1];
  EXPECT_EQ(c.context.trace_id, r.context.trace_id);
  EXPECT_EQ(c.parent_span_id, r.context.span_id);
  EXPECT_NE(c.context.span_id, r.context.span_id);
  EXPECT_EQ(r.parent_span_id, SpanId{});
  EXPECT_EQ(c.end - c.start, absl::Milliseconds(3));
  EXPECT_EQ(c.status, SpanStatus::kError);
  EXPECT_EQ(c.status_message, "boom");
  EXPECT_EQ(c.kind, SpanKind::kClient);
  EXPECT_TRUE(c.context.sampled());
}

TEST(TracerTest, UnsampledSpansPropagateButRecordNothing) {
  FakeClock clock(absl::FromUnixSeconds(1));
  Collect sink;
  Tracer tracer(AlwaysOffSampler(), &sink, &clock);
  std::unique_ptr<Span> s = tracer.StartSpan("x", SpanKind::kServer, SpanContext());
  EXPECT_TRUE(s->context().valid());
  EXPECT_FALSE(s->context().sampled());
  EXPECT_FALSE(s->recording());
  s->End();
  EXPECT_TRUE(sink.spans.empty());
}

TEST(TracerTest, WithoutProcessorSpansPropagateSampledButDoNotRecord) {
  FakeClock clock(absl::FromUnixSeconds(1));
  Tracer tracer(AlwaysOnSampler(), nullptr, &clock);
  std::unique_ptr<Span> s = tracer.StartSpan("x", SpanKind::kServer, SpanContext());
  EXPECT_TRUE(s->context().valid());
  EXPECT_TRUE(s->context().sampled());
  EXPECT_FALSE(s->recording());
}

TEST(TracerTest, RemoteParentKeepsTracestate) {
  FakeClock clock(absl::FromUnixSeconds(1));
  Collect sink;
  Tracer tracer(ParentBasedSampler(AlwaysOnSampler()), &sink, &clock);
  SpanContext parent =
      *ParseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "k=v");
  tracer.StartSpan("x", SpanKind::kServer, parent)->End();
  ASSERT_EQ(sink.spans.size(), 1u);
  EXPECT_EQ(ToHex(sink.spans[0].context.trace_id), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(ToHex(sink.spans[0].parent_span_id), "b7ad6b7169203331");
  EXPECT_EQ(sink.spans[0].context.trace_state, "k=v");
}

}  // namespace
}  // namespace idgen::telemetry
