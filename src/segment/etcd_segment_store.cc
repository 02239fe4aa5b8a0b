// Copyright idgen authors.
#include "src/segment/etcd_segment_store.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/coord/etcd_values.h"

namespace idgen::segment {
namespace {

// Rounds lost to other nodes before a lease gives up for now (the buffer
// then backs off and tries again).
constexpr int kMaxRounds = 32;

coord::EtcdCompare Unchanged(const std::string& key, int64_t mod_revision) {
  return mod_revision == 0 ? coord::EtcdCompare::CreateRevision(key, 0)
                           : coord::EtcdCompare::ModRevision(key, mod_revision);
}

}  // namespace

absl::StatusOr<EtcdSegmentStore::Current> EtcdSegmentStore::Read(const std::string& key,
                                                                 uint64_t start) {
  absl::StatusOr<std::optional<coord::EtcdKeyValue>> kv = client_->Get(key);
  if (!kv.ok()) return kv.status();
  if (!kv->has_value()) return Current{start, 0};
  absl::StatusOr<uint64_t> next = coord::ParseCounterValue(key, (*kv)->value, kMaxSegmentValue + 1);
  if (!next.ok()) return next.status();
  return Current{*next, (*kv)->mod_revision};
}

absl::StatusOr<SegmentRange> EtcdSegmentStore::Lease(const std::string& counter, uint64_t start,
                                                     uint64_t step, uint64_t max_value) {
  const std::string key = Key(counter);
  for (int round = 0; round < kMaxRounds; ++round) {
    absl::StatusOr<Current> cur = Read(key, start);
    if (!cur.ok()) return cur.status();
    if (cur->next > max_value) {
      return absl::FailedPreconditionError(
          absl::StrCat("counter ", counter, " has passed max_value ", max_value));
    }
    const SegmentRange r{cur->next, std::min(cur->next + step, max_value + 1)};
    absl::StatusOr<coord::EtcdTxnResult> txn = client_->Txn(
        {Unchanged(key, cur->mod_revision)}, {coord::EtcdOp::Put(key, absl::StrCat(r.end))}, {});
    if (!txn.ok()) return txn.status();
    if (txn->succeeded) return r;
  }
  return absl::AbortedError(absl::StrCat("etcd counter ", key, ": lost ", kMaxRounds,
                                         " lease rounds in a row to other nodes"));
}

absl::StatusOr<bool> EtcdSegmentStore::GiveBack(const std::string& counter, SegmentRange unused) {
  const std::string key = Key(counter);
  absl::StatusOr<Current> cur = Read(key, 0);
  if (!cur.ok()) return cur.status();
  if (cur->mod_revision == 0 || cur->next != unused.end) return false;
  absl::StatusOr<coord::EtcdTxnResult> txn =
      client_->Txn({coord::EtcdCompare::ModRevision(key, cur->mod_revision)},
                   {coord::EtcdOp::Put(key, absl::StrCat(unused.first))}, {});
  if (!txn.ok()) return txn.status();
  return txn->succeeded;
}

}  // namespace idgen::segment
