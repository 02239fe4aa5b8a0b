// Copyright idgen authors.
//
// SqliteSegmentStore: segment counters in one SQLite file, for nodes on one
// host (the embedded default; `segments.db` in the state dir).
//
//   CREATE TABLE IF NOT EXISTS segment_counters (
//     name TEXT PRIMARY KEY,      -- the namespace
//     next INTEGER NOT NULL,      -- the first value nobody has leased
//     prev INTEGER NOT NULL       -- `next` before the last lease
//   );
//
// A lease is one statement (after an INSERT OR IGNORE that creates the
// counter at `start`):
//   UPDATE segment_counters SET prev = next, next = MIN(next + ?step, ?max + 1)
//     WHERE name = ?name AND next <= ?max RETURNING prev, next;
// SQLite evaluates every SET expression on the old row, so `prev` is the
// range's first value; the row lock of the write transaction keeps two
// processes from getting one range. A give-back is
//   UPDATE segment_counters SET next = ?first WHERE name = ?name AND next = ?end.
// The file runs in WAL mode with synchronous=FULL (a lease is on disk before
// its IDs are used) and a busy timeout, so several processes can share it.
//
// Thread-safety: all methods may be called concurrently (one connection,
// serialised by a mutex).
#ifndef IDGEN_SEGMENT_SQLITE_SEGMENT_STORE_H_
#define IDGEN_SEGMENT_SQLITE_SEGMENT_STORE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "idgen/internal/mutex.h"
#include "src/segment/segment_store.h"

struct sqlite3;

namespace idgen::segment {

class SqliteSegmentStore final : public SegmentStore {
 public:
  // Opens (creating if needed) the database file at `path` and its table.
  // UNAVAILABLE naming the file when it cannot be opened or written.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SqliteSegmentStore>> Open(
      const std::string& path, absl::Duration busy_timeout = absl::Seconds(2));
  ~SqliteSegmentStore() override;
  SqliteSegmentStore(const SqliteSegmentStore&) = delete;
  SqliteSegmentStore& operator=(const SqliteSegmentStore&) = delete;

  std::string name() const override { return "sqlite"; }
  [[nodiscard]] absl::StatusOr<SegmentRange> Lease(const std::string& counter, uint64_t start,
                                                   uint64_t step, uint64_t max_value) override;
  [[nodiscard]] absl::StatusOr<bool> GiveBack(const std::string& counter,
                                              SegmentRange unused) override;

  const std::string& path() const { return path_; }

 private:
  SqliteSegmentStore(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  // UNAVAILABLE "sqlite <path>: <what>: <sqlite's message>".
  absl::Status Error(const std::string& what) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Exec(const char* sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  idgen::Mutex mu_;
  sqlite3* const db_ ABSL_PT_GUARDED_BY(mu_);
};

}  // namespace idgen::segment

#endif  // IDGEN_SEGMENT_SQLITE_SEGMENT_STORE_H_
