// Copyright idgen authors.
#include "src/cli/segment_stores.h"

#include <filesystem>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "idgen/clock.h"

namespace idgen::cli {

absl::StatusOr<std::unique_ptr<SegmentStores>> OpenSegmentStores(const std::string& state_dir,
                                                                 coord::EtcdLeaseProvider* etcd,
                                                                 const std::string& postgres_url,
                                                                 server::NodeOptions* options) {
  auto stores = std::make_unique<SegmentStores>();
  options->default_segment_store = etcd != nullptr ? "etcd" : "sqlite";
  bool need_sqlite = false;
  for (const server::NamespaceConfig& nc : options->config.namespaces) {
    if (nc.scheme != server::Scheme::kSegment) continue;
    const std::string& store =
        nc.segment.store.empty() ? options->default_segment_store : nc.segment.store;
    need_sqlite = need_sqlite || store == "sqlite";
  }
  if (etcd != nullptr) {
    stores->etcd = std::make_unique<segment::EtcdSegmentStore>(
        etcd->client(), absl::StrCat("/idgen/", etcd->cluster(), "/segments/"));
    options->segment_stores["etcd"] = stores->etcd.get();
  }
  if (!postgres_url.empty()) {
    absl::StatusOr<std::unique_ptr<segment::PostgresSegmentStore>> pg =
        segment::PostgresSegmentStore::Open(postgres_url, SystemClock::Get());
    if (!pg.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--segment-postgres: ", pg.status().message()));
    }
    stores->postgres = *std::move(pg);
    options->segment_stores["postgres"] = stores->postgres.get();
  }
  if (need_sqlite) {
    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("state dir ", state_dir, " cannot be created: ", ec.message()));
    }
    absl::StatusOr<std::unique_ptr<segment::SqliteSegmentStore>> sqlite =
        segment::SqliteSegmentStore::Open(state_dir + "/segments.db");
    if (!sqlite.ok()) return sqlite.status();
    stores->sqlite = *std::move(sqlite);
    options->segment_stores["sqlite"] = stores->sqlite.get();
  }
  return stores;
}

}  // namespace idgen::cli
