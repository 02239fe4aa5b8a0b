// Copyright idgen authors.
//
// The segment stores an `idgen serve` node needs for its namespaces:
//   * etcd, when the node runs with --etcd: counters under
//     /idgen/<cluster>/segments/, on the node's own etcd client; then the
//     default store;
//   * SQLite, the embedded default: <state dir>/segments.db, opened only when
//     a namespace uses it;
//   * PostgreSQL, with --segment-postgres URL, for namespaces with
//     `"store": "postgres"` (connects on the first lease, in the background).
#ifndef IDGEN_CLI_SEGMENT_STORES_H_
#define IDGEN_CLI_SEGMENT_STORES_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "src/coord/etcd_lease_provider.h"
#include "src/segment/etcd_segment_store.h"
#include "src/segment/postgres_segment_store.h"
#include "src/segment/sqlite_segment_store.h"
#include "src/server/node.h"

namespace idgen::cli {

struct SegmentStores {
  std::unique_ptr<segment::SqliteSegmentStore> sqlite;
  std::unique_ptr<segment::EtcdSegmentStore> etcd;
  std::unique_ptr<segment::PostgresSegmentStore> postgres;
};

// Opens the stores options->config needs and points options->segment_stores
// (and default_segment_store) at them; the result must outlive the Node.
// `etcd` is the node's lease provider with --etcd, else null; `postgres_url`
// is --segment-postgres (empty: none). UNAVAILABLE naming the file when the
// SQLite database cannot be opened; INVALID_ARGUMENT naming
// --segment-postgres when its URL does not parse.
[[nodiscard]] absl::StatusOr<std::unique_ptr<SegmentStores>> OpenSegmentStores(
    const std::string& state_dir, coord::EtcdLeaseProvider* etcd, const std::string& postgres_url,
    server::NodeOptions* options);

}  // namespace idgen::cli

#endif  // IDGEN_CLI_SEGMENT_STORES_H_
