// Copyright idgen authors.
#include "src/server/traced_segment_store.h"

#include <memory>
#include <utility>

namespace idgen::server {
namespace {

using telemetry::SpanKind;
using telemetry::SpanStatus;

// OpenTelemetry's db.system values for the stores.
std::string DbSystem(const std::string& store) {
  return store == "postgres" ? std::string("postgresql") : store;
}

int64_t I64(uint64_t v) { return static_cast<int64_t>(v); }  // values stay below 2^63

}  // namespace

telemetry::Attributes TracedSegmentStore::Common(const std::string& counter) const {
  return {
      {"db.system", DbSystem(name_)}, {"idgen.namespace", counter}, {"idgen.segment.store", name_}};
}

absl::StatusOr<segment::SegmentRange> TracedSegmentStore::Lease(const std::string& counter,
                                                                uint64_t start, uint64_t step,
                                                                uint64_t max_value) {
  telemetry::Attributes attrs = Common(counter);
  attrs.emplace_back("idgen.segment.step", I64(step));
  std::unique_ptr<telemetry::Span> span = tracer_->StartSpan(
      "segment.lease", SpanKind::kClient, telemetry::SpanContext(), std::move(attrs));
  absl::StatusOr<segment::SegmentRange> r = inner_->Lease(counter, start, step, max_value);
  if (r.ok()) {
    span->SetAttribute("idgen.segment.first", I64(r->first));
    span->SetAttribute("idgen.segment.end", I64(r->end));
  } else {
    span->SetStatus(SpanStatus::kError, std::string(r.status().message()));
  }
  return r;
}

absl::StatusOr<bool> TracedSegmentStore::GiveBack(const std::string& counter,
                                                  segment::SegmentRange unused) {
  telemetry::Attributes attrs = Common(counter);
  attrs.emplace_back("idgen.segment.first", I64(unused.first));
  attrs.emplace_back("idgen.segment.end", I64(unused.end));
  std::unique_ptr<telemetry::Span> span = tracer_->StartSpan(
      "segment.give_back", SpanKind::kClient, telemetry::SpanContext(), std::move(attrs));
  absl::StatusOr<bool> given = inner_->GiveBack(counter, unused);
  if (given.ok()) {
    span->SetAttribute("idgen.segment.given_back", *given);
  } else {
    span->SetStatus(SpanStatus::kError, std::string(given.status().message()));
  }
  return given;
}

}  // namespace idgen::server
