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

void Client::NextIdAsync(const std::string& ns, std::function<void(StatusOr<uint64_t>)> done,
                         const CallOptions& options) const {
  if (Status s = CheckNamespace(ns); !s.ok()) return done(s);
  connection_->NextIdAsync(ns, options, std::move(done));
}

void Client::NextIds128Async(const std::string& ns, uint32_t count,
                             std::function<void(StatusOr<std::vector<Id128>>)> done,
                             const CallOptions& options) const {
  if (Status s = CheckRequest(ns, count); !s.ok()) return done(s);
  connection_->NextIds128Async(ns, count, options, std::move(done));
}

void Client::DecodeAsync(const std::string& ns, uint64_t id,
                         std::function<void(StatusOr<DecodedId>)> done,
                         const CallOptions& options) const {
  if (Status s = CheckNamespace(ns); !s.ok()) return done(s);
  connection_->DecodeAsync(ns, id, options, std::move(done));
}

void Client::GetInfoAsync(std::function<void(StatusOr<NodeInfo>)> done,
                          const CallOptions& options) const {
  connection_->GetInfoAsync(options, std::move(done));
}

namespace {

// A future answered by a callback form: `start(done)` begins the call.
template <typename T, typename Start>
std::future<StatusOr<T>> FutureOf(Start start) {
  auto promise = std::make_shared<std::promise<StatusOr<T>>>();
  std::future<StatusOr<T>> future = promise->get_future();
  start([promise](StatusOr<T> result) { promise->set_value(std::move(result)); });
  return future;
}

}  // namespace

std::future<StatusOr<uint64_t>> Client::NextIdFuture(const std::string& ns,
                                                     const CallOptions& options) const {
  return FutureOf<uint64_t>([&](auto done) { NextIdAsync(ns, std::move(done), options); });
}

std::future<StatusOr<std::vector<uint64_t>>> Client::NextIdsFuture(
    const std::string& ns, uint32_t count, const CallOptions& options) const {
  return FutureOf<std::vector<uint64_t>>(
      [&](auto done) { NextIdsAsync(ns, count, std::move(done), options); });
}

std::future<StatusOr<std::vector<Id128>>> Client::NextIds128Future(
    const std::string& ns, uint32_t count, const CallOptions& options) const {
  return FutureOf<std::vector<Id128>>(
      [&](auto done) { NextIds128Async(ns, count, std::move(done), options); });
}

std::future<StatusOr<DecodedId>> Client::DecodeFuture(const std::string& ns, uint64_t id,
                                                      const CallOptions& options) const {
  return FutureOf<DecodedId>([&](auto done) { DecodeAsync(ns, id, std::move(done), options); });
}

std::future<StatusOr<NodeInfo>> Client::GetInfoFuture(const CallOptions& options) const {
  return FutureOf<NodeInfo>([&](auto done) { GetInfoAsync(std::move(done), options); });
}

// The base class's callback forms: the sync call, answered on this thread.
// (`done` by value is the interface's signature, for overrides that keep it.)
// NOLINTBEGIN(performance-unnecessary-value-param)
void Connection::NextIdAsync(const std::string& ns, const CallOptions& options,
                             std::function<void(StatusOr<uint64_t>)> done) {
  done(NextId(ns, options));
}

void Connection::NextIds128Async(const std::string& ns, uint32_t count, const CallOptions& options,
                                 std::function<void(StatusOr<std::vector<Id128>>)> done) {
  done(NextIds128(ns, count, options));
}

void Connection::DecodeAsync(const std::string& ns, uint64_t id, const CallOptions& options,
                             std::function<void(StatusOr<DecodedId>)> done) {
  done(Decode(ns, id, options));
}

void Connection::GetInfoAsync(const CallOptions& options,
                              std::function<void(StatusOr<NodeInfo>)> done) {
  done(GetInfo(options));
}

// NOLINTEND(performance-unnecessary-value-param)

}  // namespace idgen::client
