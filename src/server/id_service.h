// Copyright idgen authors.
//
// IdService: what idgen.v1.IdGenerator answers, independent of the gRPC
// plumbing (CqServer serves it). Stateless apart from the namespace configs
// it is given. Segment namespaces are served from the node's segment source
// (they need no worker id). Every other issuing call asks the claim source for the
// node's current WorkerClaim: a fenced, waiting or draining node answers
// UNAVAILABLE at once, and a node that claimed a new worker id serves from
// the new claim on the next call.
//
// Thread-safety: the methods are called concurrently; everything they touch
// is thread-safe.
#ifndef IDGEN_SERVER_ID_SERVICE_H_
#define IDGEN_SERVER_ID_SERVICE_H_

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "absl/status/status.h"
#include "idgen/v1/idgen.grpc.pb.h"
#include "src/server/id_namespace.h"
#include "src/server/node_metrics.h"
#include "src/server/segment_namespace.h"
#include "src/server/server_config.h"
#include "src/server/worker_claim.h"

namespace idgen::server {

// Converts an absl::Status into a grpc::Status with the same code.
grpc::Status ToGrpc(const absl::Status& s);

class IdService final {
 public:
  // The claim to issue from, or the UNAVAILABLE status to answer with.
  using ClaimSource = std::function<absl::StatusOr<std::shared_ptr<WorkerClaim>>()>;
  using InfoFiller = std::function<void(v1::GetInfoResponse*)>;
  // The segment namespace called `name`, or the UNAVAILABLE status to answer
  // with (a draining node).
  using SegmentSource = std::function<absl::StatusOr<SegmentNamespace*>(const std::string& name)>;

  // `config` must outlive the service.
  IdService(const ServerConfig* config, ClaimSource claims, InfoFiller info);

  // Looks up a namespace's config ("" means "default"); INVALID_ARGUMENT
  // listing the known ones otherwise.
  [[nodiscard]] absl::StatusOr<const NamespaceConfig*> Find(const std::string& name) const;
  // Checks namespace + claim and fills `response`; used by unary and stream.
  [[nodiscard]] absl::Status Issue(const v1::NextIdsRequest& request,
                                   v1::NextIdsResponse* response) const;
  // The same for one ID (NextId).
  [[nodiscard]] absl::Status IssueOne(const v1::NextIdRequest& request,
                                      v1::NextIdResponse* response) const;
  // One StreamIds answer: Issue(), with a failure reported in-band
  // (error_code, error_message) so the stream stays open.
  void Answer(const v1::NextIdsRequest& request, v1::NextIdsResponse* response) const;
  // Whether issuing `count` IDs of `ns` may wait: a segment namespace whose
  // buffer holds too few while its store answers (SegmentBuffer::WouldWait).
  // False for every other namespace, and for one that is not configured.
  bool MayWait(const std::string& ns, uint32_t count) const;
  // Decode: INVALID_ARGUMENT for an unknown namespace or a malformed id.
  [[nodiscard]] absl::Status Decode(const v1::DecodeRequest& request,
                                    v1::DecodeResponse* response) const;
  void GetInfo(v1::GetInfoResponse* response) const { info_(response); }

  // Metric cells to count issued IDs and batch sizes in (telemetry); call
  // before the service is registered. Without it nothing is counted.
  void SetCounters(NamespaceCounterMap counters) { counters_ = std::move(counters); }
  // Where segment namespaces are served from; call before the service is
  // registered. Without it they answer UNAVAILABLE.
  void SetSegments(SegmentSource segments) { segments_ = std::move(segments); }

 private:
  // The namespace `name` of the current claim (keeping the claim alive in
  // `hold` for the duration of the call).
  [[nodiscard]] absl::StatusOr<IdNamespace*> Resolve(const NamespaceConfig& config,
                                                     std::shared_ptr<WorkerClaim>* hold) const;
  [[nodiscard]] absl::StatusOr<SegmentNamespace*> ResolveSegment(
      const NamespaceConfig& config) const;

  std::unordered_map<std::string, const NamespaceConfig*> configs_;
  std::string known_names_;
  void Count(const std::string& name, uint32_t n) const;

  ClaimSource claims_;
  InfoFiller info_;
  SegmentSource segments_;
  NamespaceCounterMap counters_;
};

}  // namespace idgen::server

#endif  // IDGEN_SERVER_ID_SERVICE_H_
