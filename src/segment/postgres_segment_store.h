// Copyright idgen authors.
//
// PostgresSegmentStore: segment counters in a PostgreSQL database the user
// already runs (`--segment-postgres URL`), through plain libpq.
//
// The table, created on the first connection when missing:
//   CREATE TABLE IF NOT EXISTS idgen_segment_counters (
//     name text PRIMARY KEY,   -- the namespace
//     next bigint NOT NULL,    -- the first value nobody has leased
//     prev bigint NOT NULL     -- `next` before the last lease
//   );
// A lease is one statement, an upsert that creates the counter at `start`
// or moves it up by the step (without overflowing a bigint near max_value):
//   INSERT INTO idgen_segment_counters AS c (name, next, prev)
//     VALUES ($1, LEAST($2, $4 + 1 - $3) + $3, $2)
//   ON CONFLICT (name) DO UPDATE
//     SET prev = c.next, next = LEAST(c.next, $4 + 1 - $3) + $3
//     WHERE c.next <= $4
//   RETURNING prev, next;
// (every SET expression reads the old row, so `prev` is the range's first
// value; the row lock serialises two nodes). No row back: the counter has
// passed max_value. A give-back is the compare-and-set
//   UPDATE idgen_segment_counters SET next = $2 WHERE name = $1 AND next = $3.
//
// Connection: the URL or keyword/value string libpq takes; TLS, password and
// the rest come from it or from libpq's environment (PGSSLMODE, PGPASSFILE,
// PGSSLROOTCERT, ...). Open() only checks its syntax; the store connects on
// first use and again after any error, so a database that is down at start
// or goes away later only fails leases (the buffer backs off and retries).
// Every call is bounded by `timeout` (non-blocking libpq and poll): on
// expiry the connection is dropped and the call answers DEADLINE_EXCEEDED
// (the statement may have committed: its range is then a gap, never reused).
// Messages name the URL with its password masked (MaskedUrl), never the
// password.
//
// Thread-safety: all methods may be called concurrently (one connection,
// serialised by a mutex).
#ifndef IDGEN_SEGMENT_POSTGRES_SEGMENT_STORE_H_
#define IDGEN_SEGMENT_POSTGRES_SEGMENT_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "idgen/clock.h"
#include "idgen/internal/mutex.h"
#include "src/segment/segment_store.h"

struct pg_conn;
struct pg_result;

namespace idgen::segment {

class PostgresSegmentStore final : public SegmentStore {
 public:
  // INVALID_ARGUMENT (libpq's reason, no password) when `url` does not parse.
  // Does not connect. `clock` must outlive the store.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<PostgresSegmentStore>> Open(
      const std::string& url, Clock* clock, absl::Duration timeout = absl::Seconds(3));
  ~PostgresSegmentStore() override;
  PostgresSegmentStore(const PostgresSegmentStore&) = delete;
  PostgresSegmentStore& operator=(const PostgresSegmentStore&) = delete;

  std::string name() const override { return "postgres"; }
  [[nodiscard]] absl::StatusOr<SegmentRange> Lease(const std::string& counter, uint64_t start,
                                                   uint64_t step, uint64_t max_value) override;
  [[nodiscard]] absl::StatusOr<bool> GiveBack(const std::string& counter,
                                              SegmentRange unused) override;

  // The URL as it may be logged: a password in it (URL userinfo, a
  // `password` query parameter or keyword) replaced by "****".
  const std::string& masked_url() const { return masked_url_; }
  static std::string MaskedUrl(const std::string& url);

 private:
  PostgresSegmentStore(std::string url, Clock* clock, absl::Duration timeout);
  // Connects (and creates the table) unless connected.
  absl::Status EnsureConnected(absl::Duration deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs one statement with text parameters; the single result, or an error
  // (the connection is dropped on any error but a SQL one).
  absl::StatusOr<pg_result*> Run(const char* sql, const std::vector<std::string>& params,
                                 absl::Duration deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits until the socket is readable (or writable); false at the deadline.
  bool WaitSocket(bool for_write, absl::Duration deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Fail(absl::StatusCode code, const std::string& what)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Disconnect() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string url_;
  const std::string masked_url_;
  Clock* const clock_;
  const absl::Duration timeout_;
  idgen::Mutex mu_;
  pg_conn* conn_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace idgen::segment

#endif  // IDGEN_SEGMENT_POSTGRES_SEGMENT_STORE_H_
