// Copyright idgen authors.
//
// TracedSegmentStore: a SegmentStore that wraps another and gives each call
// a CLIENT span (the loader's leases run outside any request, so each is the
// root of its own trace):
//   name        "segment.lease" / "segment.give_back"
//   attributes  db.system ("etcd", "sqlite", "postgresql"),
//               idgen.namespace, idgen.segment.store, idgen.segment.step
//               (leases); idgen.segment.first / .end of the range leased or
//               given back; idgen.segment.given_back (give-backs)
//   status      ERROR with the store's message when the call failed
//               (FAILED_PRECONDITION at max_value included)
// Everything else passes through unchanged, name() included.
//
// Thread-safety: as the wrapped store. `inner` and `tracer` must outlive it.
#ifndef IDGEN_SERVER_TRACED_SEGMENT_STORE_H_
#define IDGEN_SERVER_TRACED_SEGMENT_STORE_H_

#include <string>

#include "src/segment/segment_store.h"
#include "src/telemetry/span.h"

namespace idgen::server {

class TracedSegmentStore final : public segment::SegmentStore {
 public:
  TracedSegmentStore(segment::SegmentStore* inner, telemetry::Tracer* tracer)
      : inner_(inner), tracer_(tracer), name_(inner->name()) {}

  std::string name() const override { return name_; }
  [[nodiscard]] absl::StatusOr<segment::SegmentRange> Lease(const std::string& counter,
                                                            uint64_t start, uint64_t step,
                                                            uint64_t max_value) override;
  [[nodiscard]] absl::StatusOr<bool> GiveBack(const std::string& counter,
                                              segment::SegmentRange unused) override;

 private:
  telemetry::Attributes Common(const std::string& counter) const;

  segment::SegmentStore* const inner_;
  telemetry::Tracer* const tracer_;
  const std::string name_;
};

}  // namespace idgen::server

#endif  // IDGEN_SERVER_TRACED_SEGMENT_STORE_H_
