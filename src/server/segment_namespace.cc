// Copyright idgen authors.
#include "src/server/segment_namespace.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/server/id_namespace.h"

namespace idgen::server {

absl::StatusOr<std::unique_ptr<SegmentNamespace>> SegmentNamespace::Create(
    const NamespaceConfig& config, segment::SegmentStore* store, Clock* clock,
    std::function<void(absl::Duration, bool)> observe_lease) {
  const SegmentConfig& c = config.segment;
  segment::SegmentBufferOptions o;
  o.counter = config.name;
  o.start = c.start;
  o.step = c.step;
  o.max_step = c.max_step;
  o.load_at = c.load_at;
  o.max_value = c.max_value;
  o.observe_lease = std::move(observe_lease);
  absl::StatusOr<std::unique_ptr<segment::SegmentBuffer>> buffer =
      segment::SegmentBuffer::Create(std::move(o), store, clock, OsRandom::Default());
  if (!buffer.ok()) return buffer.status();
  return std::unique_ptr<SegmentNamespace>(new SegmentNamespace(config, *std::move(buffer)));
}

absl::Status SegmentNamespace::Next(uint32_t count, v1::NextIdsResponse* out) {
  if (count == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("count must be at least 1 (namespace ", config_.name, ")"));
  }
  if (count > config_.max_batch) {
    return absl::ResourceExhaustedError(absl::StrCat("count ", count, " exceeds max_batch ",
                                                     config_.max_batch, " of namespace ",
                                                     config_.name, "; ask for fewer IDs per call"));
  }
  out->set_namespace_(config_.name);
  out->set_scheme(SchemeName(config_.scheme));
  auto* ids = out->mutable_ids();
  ids->Resize(static_cast<int>(count), 0);
  absl::Status s = buffer_->Take(absl::MakeSpan(ids->mutable_data(), count));
  if (!s.ok()) ids->Clear();
  return s;
}

absl::Status SegmentNamespace::NextOne(v1::NextIdResponse* out) {
  absl::StatusOr<uint64_t> id = buffer_->TakeOne();
  if (!id.ok()) return id.status();
  out->set_namespace_(config_.name);
  out->set_scheme(SchemeName(config_.scheme));
  out->set_id(*id);
  return absl::OkStatus();
}

void SegmentNamespace::FillInfo(v1::NamespaceInfo* info) const {
  FillNamespaceConfigInfo(config_, info);
  const segment::SegmentBuffer::Stats st = buffer_->stats();
  v1::SegmentInfo* s = info->mutable_segment();
  s->set_store(buffer_->store_name());
  s->set_step(st.step);
  s->set_buffered(st.buffered);
  s->set_next_id(st.next_id);
  s->set_max_value(config_.segment.max_value);
  s->set_leases(st.leases_ok);
  s->set_lease_errors(st.leases_failed);
  s->set_store_error(st.store_error);
  s->set_exhausted(st.exhausted);
  s->set_headroom_ids(st.headroom_ids);
  s->set_headroom_seconds(HeadroomSeconds(st));
  s->set_ids_per_second(st.ids_per_second);
}

double SegmentNamespace::HeadroomSeconds(const segment::SegmentBuffer::Stats& st) {
  if (st.ids_per_second <= 0) return -1;
  return static_cast<double>(st.headroom_ids) / st.ids_per_second;
}

}  // namespace idgen::server
