// Copyright idgen authors.
//
// Connection: the calls a Client makes, as an interface, so that
// applications can put a fake in its place in their tests
// (idgen/client/testing/fake_connection.h) and the Client's argument checks,
// pools and futures stay the same. MakeGrpcConnection is the real one: gRPC
// channels to the nodes of ClientOptions::target.
//
// Every method is called with arguments the Client already checked. Sync
// methods block for at most the call's deadline. An ...Async method calls
// `done` exactly once, on a library thread (or the caller's); `done` must not
// block. The base class's ...Async methods other than NextIdsAsync run the
// sync call and answer on the caller's thread, so a fake need only
// implement the sync methods and NextIdsAsync; MakeGrpcConnection's
// connection answers every one from gRPC's callback API.
//
// Thread-safety: implementations must allow concurrent calls.
#ifndef IDGEN_CLIENT_CONNECTION_H_
#define IDGEN_CLIENT_CONNECTION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "idgen/client/export.h"
#include "idgen/client/options.h"
#include "idgen/client/status.h"
#include "idgen/client/types.h"

namespace idgen::client {

class IDGEN_CLIENT_API Connection {
 public:
  virtual ~Connection();

  virtual StatusOr<uint64_t> NextId(const std::string& ns, const CallOptions& options) = 0;
  virtual StatusOr<IdBlock> NextIds(const std::string& ns, uint32_t count,
                                    const CallOptions& options) = 0;
  virtual void NextIdsAsync(const std::string& ns, uint32_t count, const CallOptions& options,
                            std::function<void(StatusOr<IdBlock>)> done) = 0;
  virtual StatusOr<std::vector<Id128>> NextIds128(const std::string& ns, uint32_t count,
                                                  const CallOptions& options) = 0;
  virtual StatusOr<DecodedId> Decode(const std::string& ns, uint64_t id,
                                     const CallOptions& options) = 0;
  virtual StatusOr<NodeInfo> GetInfo(const CallOptions& options) = 0;

  virtual void NextIdAsync(const std::string& ns, const CallOptions& options,
                           std::function<void(StatusOr<uint64_t>)> done);
  virtual void NextIds128Async(const std::string& ns, uint32_t count, const CallOptions& options,
                               std::function<void(StatusOr<std::vector<Id128>>)> done);
  virtual void DecodeAsync(const std::string& ns, uint64_t id, const CallOptions& options,
                           std::function<void(StatusOr<DecodedId>)> done);
  virtual void GetInfoAsync(const CallOptions& options,
                            std::function<void(StatusOr<NodeInfo>)> done);
};

// Channels to `options.target` (connected lazily, on the first call).
// INVALID_ARGUMENT naming the field for options out of range, an unknown
// load-balancing policy or unusable TLS files.
IDGEN_CLIENT_API StatusOr<std::shared_ptr<Connection>> MakeGrpcConnection(
    const ClientOptions& options);

}  // namespace idgen::client

#endif  // IDGEN_CLIENT_CONNECTION_H_
