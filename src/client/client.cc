// Copyright idgen authors.
#include "idgen/client/client.h"

#include <memory>
#include <utility>

namespace idgen::client {
namespace {

constexpr uint32_t kMaxCount = 1'000'000;
constexpr size_t kMaxNamespaceBytes = 128;

Status CheckNamespace(const std::string& ns) {
  if (ns.size() > kMaxNamespaceBytes) {
    return {StatusCode::kInvalidArgument, "namespace: " + std::to_string(ns.size()) +
                                              " bytes, at most " +
                                              std::to_string(kMaxNamespaceBytes)};
  }
  return {};
}

Status CheckRequest(const std::string& ns, uint32_t count) {
  if (count == 0 || count > kMaxCount) {
    return {StatusCode::kInvalidArgument,
            "count: " + std::to_string(count) + " is not in 1.." + std::to_string(kMaxCount)};
  }
  return CheckNamespace(ns);
}

}  // namespace

Connection::~Connection() = default;

Client::Client(std::shared_ptr<Connection> connection) : connection_(std::move(connection)) {}

StatusOr<uint64_t> Client::NextId(const std::string& ns, const CallOptions& options) const {
  if (Status s = CheckNamespace(ns); !s.ok()) return s;
  return connection_->NextId(ns, options);
}

StatusOr<std::vector<uint64_t>> Client::NextIds(const std::string& ns, uint32_t count,
                                                const CallOptions& options) const {
  if (Status s = CheckRequest(ns, count); !s.ok()) return s;
  StatusOr<IdBlock> block = connection_->NextIds(ns, count, options);
  if (!block.ok()) return block.status();
  if (block->ids.empty()) {
    return Status(
        StatusCode::kFailedPrecondition,
        "namespace \"" + block->ns + "\" has 128-bit IDs (" + block->scheme + "): use NextIds128");
  }
  return std::move(block->ids);
}

StatusOr<std::vector<Id128>> Client::NextIds128(const std::string& ns, uint32_t count,
                                                const CallOptions& options) const {
  if (Status s = CheckRequest(ns, count); !s.ok()) return s;
  return connection_->NextIds128(ns, count, options);
}

StatusOr<DecodedId> Client::Decode(const std::string& ns, uint64_t id,
                                   const CallOptions& options) const {
  if (Status s = CheckNamespace(ns); !s.ok()) return s;
  return connection_->Decode(ns, id, options);
}

StatusOr<NodeInfo> Client::GetInfo(const CallOptions& options) const {
  return connection_->GetInfo(options);
}

void Client::NextIdsAsync(const std::string& ns, uint32_t count,
                          std::function<void(StatusOr<std::vector<uint64_t>>)> done,
                          const CallOptions& options) const {
  if (Status s = CheckRequest(ns, count); !s.ok()) {
    done(s);
    return;
  }
  connection_->NextIdsAsync(ns, count, options, [done = std::move(done)](StatusOr<IdBlock> block) {
    if (!block.ok()) {
      done(block.status());
    } else if (block->ids.empty()) {
      done(Status(StatusCode::kFailedPrecondition,
                  "namespace \"" + block->ns + "\" has 128-bit IDs: use NextIds128"));
    } else {
      done(std::move(block->ids));
    }
  });
}

std::future<StatusOr<std::vector<uint64_t>>> Client::NextIdsFuture(
    const std::string& ns, uint32_t count, const CallOptions& options) const {
  auto promise = std::make_shared<std::promise<StatusOr<std::vector<uint64_t>>>>();
  std::future<StatusOr<std::vector<uint64_t>>> future = promise->get_future();
  NextIdsAsync(
      ns, count,
      [promise](StatusOr<std::vector<uint64_t>> ids) { promise->set_value(std::move(ids)); },
      options);
  return future;
}

}  // namespace idgen::client
