// Copyright idgen authors.
//
// ServerConfig: what `idgen serve --config FILE` declares. One format, JSON:
//
//   {
//     "reservation_ahead_ms": 1500,
//     "namespaces": [
//       {"name": "default", "scheme": "snowflake", "layout": "twitter",
//        "max_batch": 10000, "clock": {"max_wait_ms": 5, "max_borrow_ms": 2000}},
//       {"name": "orders", "scheme": "snowflake",
//        "layout": {"time_bits": 41, "worker_bits": 10, "sequence_bits": 12,
//                   "unit_ms": 1, "epoch_ms": 1288834974657}},
//       {"name": "events", "scheme": "uuidv7"},
//       {"name": "sessions", "scheme": "ulid", "max_batch": 1000},
//       {"name": "invoices", "scheme": "segment", "store": "sqlite", "start": 1,
//        "step": 1000, "max_step": 1000000, "load_at": 0.1,
//        "max_value": 9007199254740991}
//     ]
//   }
//
// Every key is checked: unknown keys, wrong types and out-of-range values are
// errors that name the key path (e.g. `namespaces[1].layout.time_bits`).
// Without a file, DefaultServerConfig() applies (docs/API.md lists it).
#ifndef IDGEN_SERVER_SERVER_CONFIG_H_
#define IDGEN_SERVER_SERVER_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "idgen/layout.h"
#include "idgen/snowflake_generator.h"

namespace idgen::server {

enum class Scheme { kSnowflake, kUuidV7, kUlid, kSegment };
std::string SchemeName(Scheme s);

// A `segment` namespace: dense IDs from a counter leased in ranges (see
// src/segment/segment_buffer.h and docs/OPERATIONS.md).
struct SegmentConfig {
  std::string store;              // "etcd", "sqlite", or empty: etcd with --etcd, else sqlite
  uint64_t start = 1;             // the first ID of a new counter
  uint64_t step = 1000;           // the smallest lease
  uint64_t max_step = 1'000'000;  // the largest lease the step may grow to
  double load_at = 0.1;           // share of a segment used when the next is leased
  uint64_t max_value = (uint64_t{1} << 53) - 1;  // JavaScript-safe by default
};

struct NamespaceConfig {
  std::string name;
  Scheme scheme = Scheme::kSnowflake;
  Layout layout = Layout::Twitter();  // snowflake only
  ClockPolicy clock;                  // snowflake only
  SegmentConfig segment;              // segment only
  uint32_t max_batch = 10'000;
};

struct ServerConfig {
  std::vector<NamespaceConfig> namespaces;
  // How far ahead of the wall clock the time reservation is kept. Kept below
  // the default borrow bound (2 s), so a node restarted right after a crash
  // bridges the gap on logical time instead of refusing.
  absl::Duration reservation_ahead = absl::Milliseconds(1500);
};

inline constexpr uint32_t kMaxBatchLimit = 1'000'000;

// default (snowflake/twitter), uuidv7 (uuidv7), ulid (ulid).
ServerConfig DefaultServerConfig();

// Parses the JSON text of a config file. `now` validates layout epochs.
[[nodiscard]] absl::StatusOr<ServerConfig> ParseServerConfig(const std::string& json_text,
                                                             absl::Time now);
// Reads and parses a file; errors name the file.
[[nodiscard]] absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path,
                                                            absl::Time now);

// INVALID_ARGUMENT unless `name` is 1..64 chars of [a-z0-9._-] starting with
// a letter or digit.
[[nodiscard]] absl::Status ValidateNamespaceName(const std::string& name);

}  // namespace idgen::server

#endif  // IDGEN_SERVER_SERVER_CONFIG_H_
