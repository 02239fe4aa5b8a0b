// Copyright idgen authors.
//
// Client: IDs from idgen nodes over gRPC, with no generated code in the
// application (no gRPC or protobuf type in these headers).
//
//   idgen::client::ClientOptions options;
//   options.target = "dns:///idgen.internal:50051";
//   auto client = idgen::client::Client::Create(options);
//   if (!client.ok()) { ... client.status().message() names the bad field ... }
//   idgen::client::StatusOr<uint64_t> id = client->NextId("orders");
//   auto pool = client->Pool("orders", {.batch = 1000, .low_water = 200});
//   idgen::client::StatusOr<uint64_t> fast = pool->Next();  // mostly no network
//
// Calls:
//   * every call has a deadline (ClientOptions::deadline, or CallOptions);
//     one that passes is DEADLINE_EXCEEDED;
//   * UNAVAILABLE is retried (up to max_attempts, with backoff, gRFC A6),
//     nothing else: an attempt that failed handed out no ID;
//   * arguments are checked here first: a count of 0 or over 1,000,000, or a
//     namespace over 128 bytes, is INVALID_ARGUMENT without a call;
//   * the node's errors arrive with its code and message.
// Forms: every call is sync (blocking), callback (...Async: `done` runs on
// a library thread and must not block) and future (...Future).
//
// Thread-safety: a Client may be used from any number of threads; copies
// are cheap and share the connection.
#ifndef IDGEN_CLIENT_CLIENT_H_
#define IDGEN_CLIENT_CLIENT_H_

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "idgen/client/connection.h"
#include "idgen/client/export.h"
#include "idgen/client/id_pool.h"
#include "idgen/client/options.h"
#include "idgen/client/status.h"
#include "idgen/client/types.h"

namespace idgen::client {

class IDGEN_CLIENT_API Client {
 public:
  // A client of the nodes at options.target (connected on the first call).
  // INVALID_ARGUMENT naming the field for bad options.
  static StatusOr<Client> Create(const ClientOptions& options);
  // A client over any connection, e.g. a fake in tests.
  explicit Client(std::shared_ptr<Connection> connection);

  // One ID of a 64-bit scheme; "" is the node's default namespace.
  StatusOr<uint64_t> NextId(const std::string& ns = "", const CallOptions& options = {}) const;
  // `count` IDs, strictly increasing, in one call.
  StatusOr<std::vector<uint64_t>> NextIds(const std::string& ns, uint32_t count,
                                          const CallOptions& options = {}) const;
  // IDs of a 128-bit scheme (uuidv7, ulid), 16 bytes big-endian each.
  StatusOr<std::vector<Id128>> NextIds128(const std::string& ns, uint32_t count,
                                          const CallOptions& options = {}) const;
  // What a 64-bit ID of `ns`'s layout holds.
  StatusOr<DecodedId> Decode(const std::string& ns, uint64_t id,
                             const CallOptions& options = {}) const;
  // The node that answers (one of the target's).
  StatusOr<NodeInfo> GetInfo(const CallOptions& options = {}) const;

  // Callback forms: `done` runs once, on a library thread (one of
  // ClientOptions::completion_threads); it must not block: a sync call of
  // the same client from there is refused with FAILED_PRECONDITION, since it
  // would wait for that thread. It may drop the last copy of the client.
  // Bad arguments are answered at once, on the caller's thread.
  void NextIdAsync(const std::string& ns, std::function<void(StatusOr<uint64_t>)> done,
                   const CallOptions& options = {}) const;
  void NextIdsAsync(const std::string& ns, uint32_t count,
                    std::function<void(StatusOr<std::vector<uint64_t>>)> done,
                    const CallOptions& options = {}) const;
  void NextIds128Async(const std::string& ns, uint32_t count,
                       std::function<void(StatusOr<std::vector<Id128>>)> done,
                       const CallOptions& options = {}) const;
  void DecodeAsync(const std::string& ns, uint64_t id,
                   std::function<void(StatusOr<DecodedId>)> done,
                   const CallOptions& options = {}) const;
  void GetInfoAsync(std::function<void(StatusOr<NodeInfo>)> done,
                    const CallOptions& options = {}) const;

  // Future forms of the same.
  std::future<StatusOr<uint64_t>> NextIdFuture(const std::string& ns = "",
                                               const CallOptions& options = {}) const;
  std::future<StatusOr<std::vector<uint64_t>>> NextIdsFuture(const std::string& ns, uint32_t count,
                                                             const CallOptions& options = {}) const;
  std::future<StatusOr<std::vector<Id128>>> NextIds128Future(const std::string& ns, uint32_t count,
                                                             const CallOptions& options = {}) const;
  std::future<StatusOr<DecodedId>> DecodeFuture(const std::string& ns, uint64_t id,
                                                const CallOptions& options = {}) const;
  std::future<StatusOr<NodeInfo>> GetInfoFuture(const CallOptions& options = {}) const;

  // A pool of IDs of `ns` kept in this process (see id_pool.h).
  // INVALID_ARGUMENT for options out of range.
  StatusOr<IdPool> Pool(const std::string& ns, const PoolOptions& options = {}) const;

  const std::shared_ptr<Connection>& connection() const { return connection_; }

 private:
  std::shared_ptr<Connection> connection_;
};

}  // namespace idgen::client

#endif  // IDGEN_CLIENT_CLIENT_H_
