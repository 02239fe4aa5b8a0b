// Copyright idgen authors.
#include "src/server/id_service.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace idgen::server {
namespace {

bool DeadlinePassed(grpc::CallbackServerContext* ctx) {
  return ctx->deadline() < std::chrono::system_clock::now();
}

grpc::ServerUnaryReactor* FinishWith(grpc::CallbackServerContext* ctx, const grpc::Status& s) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(s);
  return reactor;
}

// One StreamIds call: read a request, answer it, repeat. A failed request is
// answered in-band (error_code/error_message) and the stream stays open, so
// one bad request does not cost the client its stream.
class StreamReactor final
    : public grpc::ServerBidiReactor<v1::NextIdsRequest, v1::NextIdsResponse> {
 public:
  explicit StreamReactor(const IdService* service) : service_(service) { StartRead(&request_); }

  void OnReadDone(bool ok) override {
    if (!ok) {  // client half-closed or the call was cancelled
      Finish(grpc::Status::OK);
      return;
    }
    response_.Clear();
    absl::Status s = service_->Issue(request_, &response_);
    if (!s.ok()) {
      response_.Clear();
      response_.set_namespace_(request_.namespace_());
      response_.set_error_code(static_cast<int32_t>(s.code()));
      response_.set_error_message(std::string(s.message()));
    }
    StartWrite(&response_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "stream write failed"));
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  const IdService* service_;
  v1::NextIdsRequest request_;
  v1::NextIdsResponse response_;
};

}  // namespace

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

absl::StatusOr<IdNamespace*> IdService::Resolve(const std::string& name,
                                                std::shared_ptr<WorkerClaim>* hold) const {
  absl::StatusOr<const NamespaceConfig*> config = Find(name);
  if (!config.ok()) return config.status();
  absl::StatusOr<std::shared_ptr<WorkerClaim>> claim = claims_();
  if (!claim.ok()) return claim.status();
  *hold = *std::move(claim);
  IdNamespace* ns = (*hold)->Find((*config)->name);
  if (ns == nullptr) return absl::InternalError("claim lacks a configured namespace");
  return ns;
}

absl::Status IdService::Issue(const v1::NextIdsRequest& request,
                              v1::NextIdsResponse* response) const {
  std::shared_ptr<WorkerClaim> hold;
  absl::StatusOr<IdNamespace*> ns = Resolve(request.namespace_(), &hold);
  if (!ns.ok()) return ns.status();
  absl::Status s = (*ns)->Next(request.count(), response);
  if (s.ok()) Count((*ns)->name(), request.count());
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
  std::shared_ptr<WorkerClaim> hold;
  absl::StatusOr<IdNamespace*> ns = Resolve(request.namespace_(), &hold);
  if (!ns.ok()) return ns.status();
  absl::Status s = (*ns)->NextOne(response);
  if (s.ok()) Count((*ns)->name(), 1);
  return s;
}

grpc::ServerUnaryReactor* IdService::NextIds(grpc::CallbackServerContext* ctx,
                                             const v1::NextIdsRequest* request,
                                             v1::NextIdsResponse* response) {
  if (DeadlinePassed(ctx)) {
    return FinishWith(ctx, grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed"));
  }
  return FinishWith(ctx, ToGrpc(Issue(*request, response)));
}

grpc::ServerUnaryReactor* IdService::NextId(grpc::CallbackServerContext* ctx,
                                            const v1::NextIdRequest* request,
                                            v1::NextIdResponse* response) {
  if (DeadlinePassed(ctx)) {
    return FinishWith(ctx, grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed"));
  }
  return FinishWith(ctx, ToGrpc(IssueOne(*request, response)));
}

grpc::ServerBidiReactor<v1::NextIdsRequest, v1::NextIdsResponse>* IdService::StreamIds(
    grpc::CallbackServerContext* /*ctx*/) {
  return new StreamReactor(this);
}

grpc::ServerUnaryReactor* IdService::Decode(grpc::CallbackServerContext* ctx,
                                            const v1::DecodeRequest* request,
                                            v1::DecodeResponse* response) {
  absl::StatusOr<const NamespaceConfig*> config = Find(request->namespace_());
  if (!config.ok()) return FinishWith(ctx, ToGrpc(config.status()));
  return FinishWith(ctx, ToGrpc(DecodeId(**config, *request, response)));
}

grpc::ServerUnaryReactor* IdService::GetInfo(grpc::CallbackServerContext* ctx,
                                             const v1::GetInfoRequest* /*request*/,
                                             v1::GetInfoResponse* response) {
  info_(response);
  return FinishWith(ctx, grpc::Status::OK);
}

}  // namespace idgen::server
