// Copyright idgen authors.
#include "src/server/id_service.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/base/status_macros.h"

namespace idgen::server {

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

IdService::IdService(const ServerConfig* config, ClaimSource claims, InfoFiller info)
    : claims_(std::move(claims)), info_(std::move(info)) {
  std::vector<std::string> names;
  for (const NamespaceConfig& nc : config->namespaces) {
    configs_[nc.name] = &nc;
    names.push_back(nc.name);
  }
  std::sort(names.begin(), names.end());
  known_names_ = absl::StrJoin(names, ", ");
}

absl::StatusOr<const NamespaceConfig*> IdService::Find(const std::string& name) const {
  const std::string& key = name.empty() ? std::string("default") : name;
  auto it = configs_.find(key);
  if (it == configs_.end()) {
    std::string shown = key.size() > 64 ? key.substr(0, 64) + "..." : key;
    return absl::InvalidArgumentError(
        absl::StrCat("unknown namespace \"", shown, "\"; this node serves: ", known_names_));
  }
  return it->second;
}

absl::StatusOr<IdNamespace*> IdService::Resolve(const NamespaceConfig& config,
                                                std::shared_ptr<WorkerClaim>* hold) const {
  IDGEN_ASSIGN_OR_RETURN(std::shared_ptr<WorkerClaim> claim, claims_());
  *hold = std::move(claim);
  IdNamespace* ns = (*hold)->Find(config.name);
  if (ns == nullptr) return absl::InternalError("claim lacks a configured namespace");
  return ns;
}

absl::StatusOr<SegmentNamespace*> IdService::ResolveSegment(const NamespaceConfig& config) const {
  if (!segments_) {
    return absl::UnavailableError(
        absl::StrCat("segment namespace ", config.name, " is not served by this node"));
  }
  return segments_(config.name);
}

absl::Status IdService::Issue(const v1::NextIdsRequest& request,
                              v1::NextIdsResponse* response) const {
  IDGEN_ASSIGN_OR_RETURN(const NamespaceConfig* config, Find(request.namespace_()));
  absl::Status s;
  std::shared_ptr<WorkerClaim> hold;
  if (config->scheme == Scheme::kSegment) {
    IDGEN_ASSIGN_OR_RETURN(SegmentNamespace * seg, ResolveSegment(*config));
    s = seg->Next(request.count(), response);
  } else {
    IDGEN_ASSIGN_OR_RETURN(IdNamespace * ns, Resolve(*config, &hold));
    s = ns->Next(request.count(), response);
  }
  if (s.ok()) Count(config->name, request.count());
  return s;
}

void IdService::Count(const std::string& name, uint32_t n) const {
  if (counters_.empty()) return;
  auto it = counters_.find(name);
  if (it == counters_.end()) return;
  it->second.issued->Add(n);
  it->second.batch_size->Record(static_cast<double>(n));
}

absl::Status IdService::IssueOne(const v1::NextIdRequest& request,
                                 v1::NextIdResponse* response) const {
  IDGEN_ASSIGN_OR_RETURN(const NamespaceConfig* config, Find(request.namespace_()));
  absl::Status s;
  std::shared_ptr<WorkerClaim> hold;
  if (config->scheme == Scheme::kSegment) {
    IDGEN_ASSIGN_OR_RETURN(SegmentNamespace * seg, ResolveSegment(*config));
    s = seg->NextOne(response);
  } else {
    IDGEN_ASSIGN_OR_RETURN(IdNamespace * ns, Resolve(*config, &hold));
    s = ns->NextOne(response);
  }
  if (s.ok()) Count(config->name, 1);
  return s;
}

bool IdService::MayWait(const std::string& ns, uint32_t count) const {
  absl::StatusOr<const NamespaceConfig*> config = Find(ns);
  if (!config.ok() || (*config)->scheme != Scheme::kSegment) return false;
  absl::StatusOr<SegmentNamespace*> seg = ResolveSegment(**config);
  return seg.ok() && *seg != nullptr && (*seg)->buffer().WouldWait(count);
}

void IdService::Answer(const v1::NextIdsRequest& request, v1::NextIdsResponse* response) const {
  if (absl::Status s = Issue(request, response); !s.ok()) {
    response->Clear();
    response->set_namespace_(request.namespace_());
    response->set_error_code(static_cast<int32_t>(s.code()));
    response->set_error_message(std::string(s.message()));
  }
}

absl::Status IdService::Decode(const v1::DecodeRequest& request,
                               v1::DecodeResponse* response) const {
  IDGEN_ASSIGN_OR_RETURN(const NamespaceConfig* config, Find(request.namespace_()));
  return DecodeId(*config, request, response);
}

}  // namespace idgen::server
