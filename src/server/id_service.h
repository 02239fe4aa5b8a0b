// Copyright idgen authors.
//
// IdService: the idgen.v1.IdGenerator gRPC service, on gRPC's callback API
// (see docs/ARCHITECTURE.md for why). Stateless apart from the namespaces it
// is given; whether the node may issue at all is asked of a gate function on
// every call, so a fenced or draining node answers UNAVAILABLE at once.
//
// Thread-safety: gRPC calls the methods concurrently; everything they touch
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

namespace idgen::server {

// Converts an absl::Status into a grpc::Status with the same code.
grpc::Status ToGrpc(const absl::Status& s);

class IdService final : public v1::IdGenerator::CallbackService {
 public:
  using Gate = std::function<absl::Status()>;
  using InfoFiller = std::function<void(v1::GetInfoResponse*)>;

  // `namespaces` must outlive the service. `gate` returns OK when the node
  // may issue, otherwise the UNAVAILABLE status to answer with.
  IdService(std::unordered_map<std::string, IdNamespace*> namespaces, Gate gate, InfoFiller info);

  grpc::ServerUnaryReactor* NextIds(grpc::CallbackServerContext* ctx,
                                    const v1::NextIdsRequest* request,
                                    v1::NextIdsResponse* response) override;
  grpc::ServerUnaryReactor* NextId(grpc::CallbackServerContext* ctx,
                                   const v1::NextIdRequest* request,
                                   v1::NextIdResponse* response) override;
  grpc::ServerBidiReactor<v1::NextIdsRequest, v1::NextIdsResponse>* StreamIds(
      grpc::CallbackServerContext* ctx) override;
  grpc::ServerUnaryReactor* Decode(grpc::CallbackServerContext* ctx,
                                   const v1::DecodeRequest* request,
                                   v1::DecodeResponse* response) override;
  grpc::ServerUnaryReactor* GetInfo(grpc::CallbackServerContext* ctx,
                                    const v1::GetInfoRequest* request,
                                    v1::GetInfoResponse* response) override;

  // Looks up a namespace ("" means "default"); INVALID_ARGUMENT listing the
  // known ones otherwise.
  absl::StatusOr<IdNamespace*> Find(const std::string& name) const;
  // Checks gate + namespace and fills `response`; used by unary and stream.
  absl::Status Issue(const v1::NextIdsRequest& request, v1::NextIdsResponse* response) const;

  // Metric cells to count issued IDs and batch sizes in (telemetry); call
  // before the service is registered. Without it nothing is counted.
  void SetCounters(NamespaceCounterMap counters) { counters_ = std::move(counters); }

 private:
  std::unordered_map<std::string, IdNamespace*> namespaces_;
  std::string known_names_;
  Gate gate_;
  InfoFiller info_;
  NamespaceCounterMap counters_;
  void Count(const IdNamespace* ns, uint32_t n) const;
};

}  // namespace idgen::server

#endif  // IDGEN_SERVER_ID_SERVICE_H_
