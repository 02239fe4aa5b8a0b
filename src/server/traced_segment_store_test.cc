// Copyright idgen authors.
#include "src/server/traced_segment_store.h"

#include <gtest/gtest.h>

#include <vector>

#include "idgen/clock.h"
#include "src/segment/testing/scripted_segment_store.h"

namespace idgen::server {
namespace {

using telemetry::SpanData;

class Collect final : public telemetry::SpanProcessor {
 public:
  void OnEnd(SpanData&& span) override { spans.push_back(std::move(span)); }
  std::vector<SpanData> spans;
};

std::string Attr(const SpanData& s, const std::string& key) {
  for (const auto& [k, v] : s.attributes) {
    if (k == key) return telemetry::AttributeToString(v);
  }
  return "(absent)";
}

TEST(TracedSegmentStoreTest, GivesEachLeaseAndGiveBackAClientSpan) {
  FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  Collect sink;
  telemetry::Tracer tracer(telemetry::AlwaysOnSampler(), &sink, &clock);
  segment::testing::ScriptedSegmentStore inner;
  TracedSegmentStore store(&inner, &tracer);
  EXPECT_EQ(store.name(), inner.name());

  ASSERT_EQ(*store.Lease("orders", 1, 10, 100), (segment::SegmentRange{1, 11}));
  ASSERT_TRUE(*store.GiveBack("orders", {5, 11}));
  ASSERT_EQ(sink.spans.size(), 2u);
  const SpanData& lease = sink.spans[0];
  EXPECT_EQ(lease.name, "segment.lease");
  EXPECT_EQ(lease.kind, telemetry::SpanKind::kClient);
  EXPECT_EQ(lease.status, telemetry::SpanStatus::kUnset);
  EXPECT_EQ(Attr(lease, "idgen.namespace"), "orders");
  EXPECT_EQ(Attr(lease, "idgen.segment.store"), inner.name());
  EXPECT_EQ(Attr(lease, "idgen.segment.step"), "10");
  EXPECT_EQ(Attr(lease, "idgen.segment.first"), "1");
  EXPECT_EQ(Attr(lease, "idgen.segment.end"), "11");
  const SpanData& back = sink.spans[1];
  EXPECT_EQ(back.name, "segment.give_back");
  EXPECT_EQ(Attr(back, "idgen.segment.first"), "5");
  EXPECT_EQ(Attr(back, "idgen.segment.given_back"), "true");
}

TEST(TracedSegmentStoreTest, AFailedLeaseIsAnErrorSpanWithTheStoresMessage) {
  FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  Collect sink;
  telemetry::Tracer tracer(telemetry::AlwaysOnSampler(), &sink, &clock);
  segment::testing::ScriptedSegmentStore inner;
  TracedSegmentStore store(&inner, &tracer);
  ASSERT_EQ(*store.Lease("c", 1, 10, 5), (segment::SegmentRange{1, 6}));
  EXPECT_EQ(store.Lease("c", 1, 10, 5).status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_EQ(sink.spans.size(), 2u);
  EXPECT_EQ(sink.spans[1].status, telemetry::SpanStatus::kError);
  EXPECT_NE(sink.spans[1].status_message.find("used up"), std::string::npos);
}

}  // namespace
}  // namespace idgen::server
