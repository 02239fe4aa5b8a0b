// Copyright idgen authors.
//
// EtcdSegmentStore: segment counters in etcd v3, for a cluster of nodes.
//
// Key per counter: <prefix><name>, e.g. /idgen/<cluster>/segments/orders,
// whose value is the decimal next unleased value. A lease reads the key and
// writes the new end in a Txn guarded by the key's mod_revision (or by
// create_revision == 0 for a new counter), so of two nodes racing on one
// counter only one wins each round; the loser retries at once with the
// value the winner wrote, which the failed Txn returns (no extra read). One
// that keeps losing waits a random part of a few Txn round trips, so that
// racing nodes spread out, and reads again before the next round (bounded
// rounds; then ABORTED, and the buffer tries again after its backoff).
// A Txn whose answer is lost (a timeout; EtcdClient's failover retry) may
// have committed: its range is then never used, and the retry's compare
// fails on the changed revision, so it reads the new value. A give-back is
// the same guarded Txn, taken only when the value still equals the range end.
// etcd commits through Raft, so a lease survives the loss of a minority of
// members and a leader change without any extra step.
//
// Thread-safety: all methods may be called concurrently.
#ifndef IDGEN_SEGMENT_ETCD_SEGMENT_STORE_H_
#define IDGEN_SEGMENT_ETCD_SEGMENT_STORE_H_

#include <memory>
#include <optional>
#include <string>

#include "src/coord/etcd_client.h"
#include "src/segment/segment_store.h"

namespace idgen::segment {

class EtcdSegmentStore final : public SegmentStore {
 public:
  // `prefix` ends in '/', e.g. "/idgen/default/segments/".
  EtcdSegmentStore(std::shared_ptr<coord::EtcdClient> client, std::string prefix)
      : client_(std::move(client)), prefix_(std::move(prefix)) {}

  std::string name() const override { return "etcd"; }
  [[nodiscard]] absl::StatusOr<SegmentRange> Lease(const std::string& counter, uint64_t start,
                                                   uint64_t step, uint64_t max_value) override;
  [[nodiscard]] absl::StatusOr<bool> GiveBack(const std::string& counter,
                                              SegmentRange unused) override;

  std::string Key(const std::string& counter) const { return prefix_ + counter; }

 private:
  // The counter's value and mod_revision (0: no key yet, value `start`).
  struct Current {
    uint64_t next = 0;
    int64_t mod_revision = 0;
  };
  [[nodiscard]] absl::StatusOr<Current> Read(const std::string& key, uint64_t start);
  // `kv` as a Current (nullopt: no key).
  [[nodiscard]] static absl::StatusOr<Current> Parse(const std::string& key,
                                                     const std::optional<coord::EtcdKeyValue>& kv,
                                                     uint64_t start);

  const std::shared_ptr<coord::EtcdClient> client_;
  const std::string prefix_;
};

}  // namespace idgen::segment

#endif  // IDGEN_SEGMENT_ETCD_SEGMENT_STORE_H_
