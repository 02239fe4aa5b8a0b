// Copyright idgen authors.
#include "src/coord/etcd_worker_id_pin.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace idgen::coord {

absl::Status PinWorkerIdsInEtcd(EtcdClient& client, const std::string& cluster,
                                const std::optional<WorkerIdRange>& range) {
  const std::string key = absl::StrCat("/idgen/", cluster, "/worker-ids");
  const std::string where = absl::StrCat("etcd key ", key);
  absl::StatusOr<std::vector<EtcdKeyValue>> current = client.Range(key);
  if (!current.ok()) return current.status();
  const std::string recorded = current->empty() ? std::string() : (*current)[0].value;
  if (absl::Status s = CompareWithPinnedRange(range, recorded, where); !s.ok()) return s;
  if (!range || !current->empty()) return absl::OkStatus();

  const std::string prefix = absl::StrCat("/idgen/", cluster, "/workers/");
  absl::StatusOr<std::vector<EtcdKeyValue>> held =
      client.Range(prefix, EtcdClient::PrefixEnd(prefix));
  if (!held.ok()) return held.status();
  for (const EtcdKeyValue& kv : *held) {
    int64_t id = 0;
    if (absl::SimpleAtoi(absl::string_view(kv.key).substr(prefix.size()), &id) &&
        !range->Contains(id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--worker-ids ", range->ToString(), ": worker id ", id, " of cluster \"",
                       cluster, "\" is held outside that range by ", kv.value,
                       "; restart that node with the same --worker-ids first"));
    }
  }
  absl::StatusOr<EtcdTxnResult> txn =
      client.Txn({EtcdCompare::CreateRevision(key, 0)}, {EtcdOp::Put(key, range->ToString())},
                 {EtcdOp::Get(key)});
  if (!txn.ok()) return txn.status();
  if (txn->succeeded) return absl::OkStatus();
  // Another first node recorded its range between our read and the txn.
  const std::vector<EtcdKeyValue>& now = txn->responses.at(0);
  return CompareWithPinnedRange(range, now.empty() ? std::string() : now[0].value, where);
}

}  // namespace idgen::coord
