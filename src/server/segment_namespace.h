// Copyright idgen authors.
//
// SegmentNamespace: one configured `segment` namespace of a node, served
// through the idgen.v1 API from a segment::SegmentBuffer. Unlike the other
// schemes it needs no worker id: the node owns it for its whole life (it
// survives the loss of a worker lease), and Close() on a clean shutdown gives
// its unused IDs back to the store.
//
// Thread-safety: Next/NextOne/FillInfo from any thread; Close from one.
#ifndef IDGEN_SERVER_SEGMENT_NAMESPACE_H_
#define IDGEN_SERVER_SEGMENT_NAMESPACE_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "idgen/clock.h"
#include "idgen/random.h"
#include "idgen/v1/idgen.pb.h"
#include "src/segment/segment_buffer.h"
#include "src/segment/segment_store.h"
#include "src/server/server_config.h"

namespace idgen::server {

class SegmentNamespace {
 public:
  // Starts leasing at once (in the background). `store` and `clock` must
  // outlive it; `observe_lease` (may be empty) is told of every lease.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SegmentNamespace>> Create(
      const NamespaceConfig& config, segment::SegmentStore* store, Clock* clock,
      std::function<void(absl::Duration, bool)> observe_lease);

  const NamespaceConfig& config() const { return config_; }
  const std::string& name() const { return config_.name; }
  const segment::SegmentBuffer& buffer() const { return *buffer_; }

  // As IdNamespace::Next/NextOne; plus FAILED_PRECONDITION at max_value and
  // UNAVAILABLE while the store cannot lease and nothing is buffered.
  [[nodiscard]] absl::Status Next(uint32_t count, v1::NextIdsResponse* out);
  [[nodiscard]] absl::Status NextOne(v1::NextIdResponse* out);
  void FillInfo(v1::NamespaceInfo* info) const;
  // How long the headroom lasts at the buffer's current rate, in seconds;
  // -1 while the rate is 0 or not known yet.
  static double HeadroomSeconds(const segment::SegmentBuffer::Stats& st);
  // Stops serving and gives the unused IDs back (SegmentBuffer::Close).
  [[nodiscard]] absl::Status Close() { return buffer_->Close(); }

 private:
  SegmentNamespace(NamespaceConfig config, std::unique_ptr<segment::SegmentBuffer> buffer)
      : config_(std::move(config)), buffer_(std::move(buffer)) {}

  const NamespaceConfig config_;
  const std::unique_ptr<segment::SegmentBuffer> buffer_;
};

}  // namespace idgen::server

#endif  // IDGEN_SERVER_SEGMENT_NAMESPACE_H_
