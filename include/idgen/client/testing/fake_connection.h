// Copyright idgen authors.
//
// FakeConnection: a Connection with no network, for applications' unit
// tests. It hands out 1, 2, 3, ... (from Options::first_id) as IDs of
// Options::scheme, answers NextIdsAsync on the caller's thread, decodes
// nothing, and can be told to fail:
//
//   auto fake = std::make_shared<idgen::client::testing::FakeConnection>();
//   idgen::client::Client client(fake);
//   fake->SetFailure({idgen::client::StatusCode::kUnavailable, "node down"});
//   ... code under test sees UNAVAILABLE ...
//   fake->SetFailure({});  // answers again
//
// Thread-safety: all methods may be called concurrently.
#ifndef IDGEN_CLIENT_TESTING_FAKE_CONNECTION_H_
#define IDGEN_CLIENT_TESTING_FAKE_CONNECTION_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "idgen/client/connection.h"
#include "idgen/client/export.h"

namespace idgen::client::testing {

class IDGEN_CLIENT_API FakeConnection : public Connection {
 public:
  struct Options {
    uint64_t first_id = 1;
    std::string scheme = "snowflake";
    uint32_t max_batch = 10000;  // larger NextIds are RESOURCE_EXHAUSTED
  };

  FakeConnection() : FakeConnection(Options{}) {}
  explicit FakeConnection(Options options)
      : options_(std::move(options)), next_(options_.first_id) {}

  // Every later call fails with `status` until it is set OK again.
  void SetFailure(Status status);
  // Calls made so far (failed ones included).
  int64_t calls() const { return calls_.load(); }
  // IDs handed out so far.
  uint64_t issued() const { return next_.load() - options_.first_id; }

  StatusOr<uint64_t> NextId(const std::string& ns, const CallOptions& options) override;
  StatusOr<IdBlock> NextIds(const std::string& ns, uint32_t count,
                            const CallOptions& options) override;
  void NextIdsAsync(const std::string& ns, uint32_t count, const CallOptions& options,
                    std::function<void(StatusOr<IdBlock>)> done) override;
  StatusOr<std::vector<Id128>> NextIds128(const std::string& ns, uint32_t count,
                                          const CallOptions& options) override;
  StatusOr<DecodedId> Decode(const std::string& ns, uint64_t id,
                             const CallOptions& options) override;
  StatusOr<NodeInfo> GetInfo(const CallOptions& options) override;

 private:
  // OK, or the failure set: counts the call either way.
  Status Begin();

  const Options options_;
  std::atomic<uint64_t> next_;
  std::atomic<int64_t> calls_{0};
  mutable std::mutex mu_;
  Status failure_;
};

}  // namespace idgen::client::testing

#endif  // IDGEN_CLIENT_TESTING_FAKE_CONNECTION_H_
