// Copyright idgen authors.
//
// PinWorkerIdsInEtcd: the etcd form of worker_id_pin.h. The record is the key
// /idgen/<cluster>/worker-ids ("LO-HI"), created by a txn only while it does
// not exist, so of several first nodes exactly one records its range and the
// others are compared with it.
//
// Before recording a range it checks that no live node of the cluster holds a
// worker id outside it (INVALID_ARGUMENT naming the id and its holder): a
// cluster that already runs without --worker-ids is given a range only once
// its nodes fit.
//
// Errors: as worker_id_pin.h; etcd errors (UNAVAILABLE, ...) as EtcdClient's.
#ifndef IDGEN_COORD_ETCD_WORKER_ID_PIN_H_
#define IDGEN_COORD_ETCD_WORKER_ID_PIN_H_

#include <optional>
#include <string>

#include "src/coord/etcd_client.h"
#include "src/coord/worker_id_pin.h"

namespace idgen::coord {

[[nodiscard]] absl::Status PinWorkerIdsInEtcd(EtcdClient& client, const std::string& cluster,
                                              const std::optional<WorkerIdRange>& range);

}  // namespace idgen::coord

#endif  // IDGEN_COORD_ETCD_WORKER_ID_PIN_H_
