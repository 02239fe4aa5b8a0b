// Copyright idgen authors.
#include "idgen/client/testing/fake_connection.h"

#include <utility>

namespace idgen::client::testing {

void FakeConnection::SetFailure(Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  failure_ = std::move(status);
}

Status FakeConnection::Begin() {
  calls_.fetch_add(1);
  std::lock_guard<std::mutex> lock(mu_);
  return failure_;
}

StatusOr<uint64_t> FakeConnection::NextId(const std::string& ns, const CallOptions& options) {
  StatusOr<IdBlock> block = NextIds(ns, 1, options);
  if (!block.ok()) return block.status();
  return block->ids.front();
}

StatusOr<IdBlock> FakeConnection::NextIds(const std::string& ns, uint32_t count,
                                          const CallOptions& /*options*/) {
  if (Status s = Begin(); !s.ok()) return s;
  if (count > options_.max_batch) {
    return Status(StatusCode::kResourceExhausted, "count " + std::to_string(count) +
                                                      " is over max_batch " +
                                                      std::to_string(options_.max_batch));
  }
  IdBlock block;
  block.ns = ns.empty() ? "default" : ns;
  block.scheme = options_.scheme;
  const uint64_t first = next_.fetch_add(count);
  block.ids.reserve(count);
  for (uint64_t i = 0; i < count; ++i) block.ids.push_back(first + i);
  return block;
}

void FakeConnection::NextIdsAsync(const std::string& ns, uint32_t count, const CallOptions& options,
                                  std::function<void(StatusOr<IdBlock>)> done) {
  done(NextIds(ns, count, options));
}

StatusOr<std::vector<Id128>> FakeConnection::NextIds128(const std::string& /*ns*/, uint32_t count,
                                                        const CallOptions& /*options*/) {
  if (Status s = Begin(); !s.ok()) return s;
  std::vector<Id128> out(count);
  const uint64_t first = next_.fetch_add(count);
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t v = first + i;
    for (int b = 15; b >= 8; --b, v >>= 8) out[i][static_cast<size_t>(b)] = static_cast<uint8_t>(v);
  }
  return out;
}

StatusOr<DecodedId> FakeConnection::Decode(const std::string& /*ns*/, uint64_t id,
                                           const CallOptions& /*options*/) {
  if (Status s = Begin(); !s.ok()) return s;
  DecodedId d;
  d.sequence = id;
  return d;
}

StatusOr<NodeInfo> FakeConnection::GetInfo(const CallOptions& /*options*/) {
  if (Status s = Begin(); !s.ok()) return s;
  NodeInfo info;
  info.node = "fake";
  info.worker_id = 0;
  info.worker_id_max = 1023;
  info.serving = true;
  info.version = "fake";
  info.namespaces.push_back({"default", options_.scheme, options_.max_batch});
  return info;
}

}  // namespace idgen::client::testing
