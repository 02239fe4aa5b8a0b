// Copyright idgen authors.
#include "src/segment/etcd_segment_store.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/coord/etcd_values.h"

namespace idgen::segment {
namespace {

// Rounds lost to other nodes before a lease gives up for now (the buffer
// then backs off and tries again).
constexpr int kMaxRounds = 32;
// Rounds retried at once with the winner's value before the backoff starts.
constexpr int kImmediateRounds = 4;

coord::EtcdCompare Unchanged(const std::string& key, int64_t mod_revision) {
  return mod_revision == 0 ? coord::EtcdCompare::CreateRevision(key, 0)
                           : coord::EtcdCompare::ModRevision(key, mod_revision);
}

// After losing round `round` of a Txn that took `took`: a random pause of
// up to min(2^round, 8) times that, so that nodes racing on one counter stop
// colliding in lockstep whatever etcd's latency is (a write waits for its
// fsync).
void Backoff(int round, std::chrono::steady_clock::duration took) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  const auto window = std::chrono::duration_cast<std::chrono::microseconds>(took) *
                      (int64_t{1} << std::min(round, 3));
  std::uniform_int_distribution<int64_t> us(0, std::min<int64_t>(window.count(), 200'000));
  std::this_thread::sleep_for(std::chrono::microseconds(us(rng)));
}

}  // namespace

absl::StatusOr<EtcdSegmentStore::Current> EtcdSegmentStore::Parse(
    const std::string& key, const std::optional<coord::EtcdKeyValue>& kv, uint64_t start) {
  if (!kv.has_value()) return Current{start, 0};
  absl::StatusOr<uint64_t> next = coord::ParseCounterValue(key, kv->value, kMaxSegmentValue + 1);
  if (!next.ok()) return next.status();
  return Current{*next, kv->mod_revision};
}

absl::StatusOr<EtcdSegmentStore::Current> EtcdSegmentStore::Read(const std::string& key,
                                                                 uint64_t start) {
  absl::StatusOr<std::optional<coord::EtcdKeyValue>> kv = client_->Get(key);
  if (!kv.ok()) return kv.status();
  return Parse(key, *kv, start);
}

absl::StatusOr<SegmentRange> EtcdSegmentStore::Lease(const std::string& counter, uint64_t start,
                                                     uint64_t step, uint64_t max_value) {
  const std::string key = Key(counter);
  absl::StatusOr<Current> cur = Read(key, start);
  for (int round = 0; round < kMaxRounds; ++round) {
    if (!cur.ok()) return cur.status();
    if (cur->next > max_value) {
      return absl::FailedPreconditionError(
          absl::StrCat("counter ", counter, " has passed max_value ", max_value));
    }
    const SegmentRange r{cur->next, std::min(cur->next + step, max_value + 1)};
    // Lost: the failure branch reads the value the winner wrote.
    const auto sent = std::chrono::steady_clock::now();
    absl::StatusOr<coord::EtcdTxnResult> txn =
        client_->Txn({Unchanged(key, cur->mod_revision)},
                     {coord::EtcdOp::Put(key, absl::StrCat(r.end))}, {coord::EtcdOp::Get(key)});
    if (!txn.ok()) return txn.status();
    if (txn->succeeded) return r;
    if (round + 1 < kImmediateRounds) {
      // At once, from the value the winner wrote: the freshest there is.
      std::optional<coord::EtcdKeyValue> now;
      if (!txn->responses.empty() && !txn->responses[0].empty()) now = txn->responses[0][0];
      cur = Parse(key, now, start);
    } else {
      // Losing again and again: step aside for a random while, then read
      // afresh (what the failed Txn saw is stale by then).
      Backoff(round + 1 - kImmediateRounds, std::chrono::steady_clock::now() - sent);
      cur = Read(key, start);
    }
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
