// Copyright idgen authors.
#include "src/segment/sqlite_segment_store.h"

#include <sqlite3.h>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace idgen::segment {
namespace {

constexpr const char* kCreate =
    "CREATE TABLE IF NOT EXISTS segment_counters ("
    " name TEXT PRIMARY KEY, next INTEGER NOT NULL, prev INTEGER NOT NULL)";
constexpr const char* kInsert =
    "INSERT OR IGNORE INTO segment_counters (name, next, prev) VALUES (?1, ?2, ?2)";
constexpr const char* kLease =
    "UPDATE segment_counters SET prev = next, next = MIN(next + ?2, ?3 + 1)"
    " WHERE name = ?1 AND next <= ?3 RETURNING prev, next";
constexpr const char* kGiveBack =
    "UPDATE segment_counters SET next = ?2 WHERE name = ?1 AND next = ?3";

// Values stay below 2^63 (kMaxSegmentValue), so they fit SQLite's integers.
sqlite3_int64 I64(uint64_t v) { return static_cast<sqlite3_int64>(v); }

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteSegmentStore>> SqliteSegmentStore::Open(
    const std::string& path, absl::Duration busy_timeout) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return absl::UnavailableError(absl::StrCat("sqlite ", path, ": cannot open: ", msg));
  }
  std::unique_ptr<SqliteSegmentStore> store(new SqliteSegmentStore(path, db));
  idgen::MutexLock lock(&store->mu_);
  sqlite3_busy_timeout(db, static_cast<int>(absl::ToInt64Milliseconds(busy_timeout)));
  for (const char* sql :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", static_cast<const char*>(kCreate)}) {
    if (absl::Status s = store->Exec(sql); !s.ok()) return s;
  }
  return store;
}

SqliteSegmentStore::~SqliteSegmentStore() {
  idgen::MutexLock lock(&mu_);
  sqlite3_close(db_);
}

absl::Status SqliteSegmentStore::Error(const std::string& what) const {
  return absl::UnavailableError(
      absl::StrCat("sqlite ", path_, ": ", what, ": ", sqlite3_errmsg(db_)));
}

absl::Status SqliteSegmentStore::Exec(const char* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return Error(sql);
  return absl::OkStatus();
}

absl::StatusOr<SegmentRange> SqliteSegmentStore::Lease(const std::string& counter, uint64_t start,
                                                       uint64_t step, uint64_t max_value) {
  idgen::MutexLock lock(&mu_);
  sqlite3_stmt* stmt = nullptr;
  absl::Cleanup finalize = [&stmt] { sqlite3_finalize(stmt); };
  // The counter's first row, then the lease: two autocommit statements; the
  // first is harmless to repeat and the second is atomic on its own.
  if (sqlite3_prepare_v2(db_, kInsert, -1, &stmt, nullptr) != SQLITE_OK) return Error("prepare");
  sqlite3_bind_text(stmt, 1, counter.data(), static_cast<int>(counter.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(stmt, 2, I64(start));
  if (sqlite3_step(stmt) != SQLITE_DONE) return Error("create counter");
  sqlite3_finalize(stmt);
  stmt = nullptr;

  if (sqlite3_prepare_v2(db_, kLease, -1, &stmt, nullptr) != SQLITE_OK) return Error("prepare");
  sqlite3_bind_text(stmt, 1, counter.data(), static_cast<int>(counter.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(stmt, 2, I64(step));
  sqlite3_bind_int64(stmt, 3, I64(max_value));
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) {
    return absl::FailedPreconditionError(
        absl::StrCat("counter ", counter, " has passed max_value ", max_value));
  }
  if (rc != SQLITE_ROW) return Error("lease");
  const SegmentRange r{static_cast<uint64_t>(sqlite3_column_int64(stmt, 0)),
                       static_cast<uint64_t>(sqlite3_column_int64(stmt, 1))};
  // RETURNING rows come out before the statement commits: step to the end.
  if (sqlite3_step(stmt) != SQLITE_DONE) return Error("lease commit");
  return r;
}

absl::StatusOr<bool> SqliteSegmentStore::GiveBack(const std::string& counter, SegmentRange unused) {
  idgen::MutexLock lock(&mu_);
  sqlite3_stmt* stmt = nullptr;
  absl::Cleanup finalize = [&stmt] { sqlite3_finalize(stmt); };
  if (sqlite3_prepare_v2(db_, kGiveBack, -1, &stmt, nullptr) != SQLITE_OK) {
    return Error("prepare");
  }
  sqlite3_bind_text(stmt, 1, counter.data(), static_cast<int>(counter.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(stmt, 2, I64(unused.first));
  sqlite3_bind_int64(stmt, 3, I64(unused.end));
  if (sqlite3_step(stmt) != SQLITE_DONE) return Error("give back");
  return sqlite3_changes(db_) == 1;
}

}  // namespace idgen::segment
