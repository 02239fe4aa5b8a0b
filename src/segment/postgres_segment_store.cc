// Copyright idgen authors.
#include "src/segment/postgres_segment_store.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace idgen::segment {
namespace {

constexpr const char* kCreate =
    "CREATE TABLE IF NOT EXISTS idgen_segment_counters ("
    " name text PRIMARY KEY, next bigint NOT NULL, prev bigint NOT NULL)";
// $1 name, $2 start, $3 step, $4 max_value. LEAST(x, max + 1 - step) + step
// is min(x + step, max + 1) without a bigint overflow near 2^63.
constexpr const char* kLease =
    "INSERT INTO idgen_segment_counters AS c (name, next, prev)"
    " VALUES ($1, LEAST($2::bigint, $4::bigint + 1 - $3::bigint) + $3::bigint, $2::bigint)"
    " ON CONFLICT (name) DO UPDATE"
    " SET prev = c.next, next = LEAST(c.next, $4::bigint + 1 - $3::bigint) + $3::bigint"
    " WHERE c.next <= $4::bigint"
    " RETURNING prev, next";
constexpr const char* kGiveBack =
    "UPDATE idgen_segment_counters SET next = $2::bigint WHERE name = $1 AND next = $3::bigint";

// SQLSTATEs of a CREATE TABLE IF NOT EXISTS that lost a race with another
// node's (unique_violation on the catalog; duplicate_table).
bool LostCreateRace(const char* sqlstate) {
  return sqlstate != nullptr &&
         (absl::string_view(sqlstate) == "23505" || absl::string_view(sqlstate) == "42P07");
}

// libpq prints server notices ("relation ... already exists, skipping") to
// stderr by default, which would break the node's JSON log lines.
void IgnoreNotice(void* /*arg*/, const char* /*message*/) {}

std::string Trimmed(const char* message) {
  return std::string(absl::StripTrailingAsciiWhitespace(message == nullptr ? "" : message));
}

// "scheme://user:secret@host/db?password=secret&x=y" -> secrets masked.
std::string MaskUri(const std::string& url) {
  std::string out = url;
  const size_t auth = out.find("://") + 3;
  const size_t auth_end = std::min(out.find_first_of("/?", auth), out.size());
  const size_t at = out.rfind('@', auth_end);
  if (at != std::string::npos && at >= auth) {
    const size_t colon = out.find(':', auth);
    if (colon < at) out.replace(colon + 1, at - colon - 1, "****");
  }
  size_t q = out.find('?');
  while (q != std::string::npos && q < out.size()) {
    const size_t key = q + 1;
    const size_t end = std::min(out.find('&', key), out.size());
    if (absl::StartsWith(absl::string_view(out).substr(key), "password=")) {
      const size_t value = key + 9;
      out.replace(value, end - value, "****");
      q = out.find('&', value);
    } else {
      q = end < out.size() ? end : std::string::npos;
    }
  }
  return out;
}

}  // namespace

std::string PostgresSegmentStore::MaskedUrl(const std::string& url) {
  if (absl::StartsWith(url, "postgresql://") || absl::StartsWith(url, "postgres://")) {
    return MaskUri(url);
  }
  // Keyword/value form: rebuilt from libpq's own parse, password masked.
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (err != nullptr) PQfreemem(err);
  if (opts == nullptr) return "(unparsable connection string)";
  std::string out;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const bool secret = absl::string_view(o->keyword) == "password";
    absl::StrAppend(&out, out.empty() ? "" : " ", o->keyword, "=", secret ? "****" : o->val);
  }
  PQconninfoFree(opts);
  return out;
}

absl::StatusOr<std::unique_ptr<PostgresSegmentStore>> PostgresSegmentStore::Open(
    const std::string& url, Clock* clock, absl::Duration timeout) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (opts == nullptr) {
    // libpq's reason names the bad part of the syntax, never a value.
    const std::string why = err != nullptr ? Trimmed(err) : "out of memory";
    if (err != nullptr) PQfreemem(err);
    return absl::InvalidArgumentError(absl::StrCat("not a PostgreSQL connection URL: ", why));
  }
  PQconninfoFree(opts);
  return std::unique_ptr<PostgresSegmentStore>(new PostgresSegmentStore(url, clock, timeout));
}

PostgresSegmentStore::PostgresSegmentStore(std::string url, Clock* clock, absl::Duration timeout)
    : url_(std::move(url)), masked_url_(MaskedUrl(url_)), clock_(clock), timeout_(timeout) {}

PostgresSegmentStore::~PostgresSegmentStore() {
  idgen::MutexLock lock(&mu_);
  Disconnect();
}

void PostgresSegmentStore::Disconnect() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
}

absl::Status PostgresSegmentStore::Fail(absl::StatusCode code, const std::string& what) {
  std::string why = conn_ != nullptr ? Trimmed(PQerrorMessage(conn_)) : std::string();
  Disconnect();
  return absl::Status(
      code, absl::StrCat("postgres ", masked_url_, ": ", what, why.empty() ? "" : ": ", why));
}

bool PostgresSegmentStore::WaitSocket(bool for_write, absl::Duration deadline) {
  for (;;) {
    const absl::Duration left = deadline - clock_->MonotonicNow();
    if (left <= absl::ZeroDuration()) return false;
    pollfd p{PQsocket(conn_), static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
    // Slices of at most 100 ms, so a fake clock in a test is noticed too.
    const int ms =
        static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1, 100));
    const int n = poll(&p, 1, ms);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // let libpq report the error
  }
}

absl::Status PostgresSegmentStore::EnsureConnected(absl::Duration deadline) {
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return absl::OkStatus();
  Disconnect();
  conn_ = PQconnectStart(url_.c_str());
  if (conn_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("postgres ", masked_url_, ": out of memory"));
  }
  if (PQstatus(conn_) == CONNECTION_BAD) {
    return Fail(absl::StatusCode::kUnavailable, "cannot connect");
  }
  PQsetNoticeProcessor(conn_, IgnoreNotice, nullptr);
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  while (st != PGRES_POLLING_OK) {
    if (st == PGRES_POLLING_FAILED) return Fail(absl::StatusCode::kUnavailable, "cannot connect");
    if (!WaitSocket(st == PGRES_POLLING_WRITING, deadline)) {
      return Fail(absl::StatusCode::kDeadlineExceeded,
                  absl::StrCat("no connection within ", absl::FormatDuration(timeout_)));
    }
    st = PQconnectPoll(conn_);
  }
  if (PQsetnonblocking(conn_, 1) != 0) return Fail(absl::StatusCode::kUnavailable, "nonblocking");
  absl::StatusOr<pg_result*> created = Run(kCreate, {}, deadline);
  if (!created.ok()) return created.status();
  const ExecStatusType status = PQresultStatus(*created);
  const char* sqlstate = PQresultErrorField(*created, PG_DIAG_SQLSTATE);
  const bool ok = status == PGRES_COMMAND_OK || LostCreateRace(sqlstate);
  const std::string why = Trimmed(PQresultErrorMessage(*created));
  PQclear(*created);
  if (!ok) {
    Disconnect();
    return absl::UnavailableError(
        absl::StrCat("postgres ", masked_url_, ": cannot create idgen_segment_counters: ", why));
  }
  return absl::OkStatus();
}

absl::StatusOr<pg_result*> PostgresSegmentStore::Run(const char* sql,
                                                     const std::vector<std::string>& params,
                                                     absl::Duration deadline) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& p : params) values.push_back(p.c_str());
  if (PQsendQueryParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(),
                        nullptr, nullptr, 0) == 0) {
    return Fail(absl::StatusCode::kUnavailable, "cannot send");
  }
  for (;;) {
    const int flushed = PQflush(conn_);
    if (flushed == 0) break;
    if (flushed < 0) return Fail(absl::StatusCode::kUnavailable, "cannot send");
    if (!WaitSocket(true, deadline)) {
      return Fail(absl::StatusCode::kDeadlineExceeded,
                  absl::StrCat("no answer within ", absl::FormatDuration(timeout_)));
    }
  }
  pg_result* first = nullptr;
  for (;;) {
    while (PQisBusy(conn_) != 0) {
      if (!WaitSocket(false, deadline)) {
        if (first != nullptr) PQclear(first);
        return Fail(absl::StatusCode::kDeadlineExceeded,
                    absl::StrCat("no answer within ", absl::FormatDuration(timeout_)));
      }
      if (PQconsumeInput(conn_) == 0) {
        if (first != nullptr) PQclear(first);
        return Fail(absl::StatusCode::kUnavailable, "connection lost");
      }
    }
    pg_result* r = PQgetResult(conn_);
    if (r == nullptr) break;
    if (first == nullptr) {
      first = r;
    } else {
      PQclear(r);
    }
  }
  if (first == nullptr) return Fail(absl::StatusCode::kUnavailable, "no result");
  // A statement error leaves the connection usable unless the server went.
  if (PQstatus(conn_) != CONNECTION_OK) Disconnect();
  return first;
}

absl::StatusOr<SegmentRange> PostgresSegmentStore::Lease(const std::string& counter, uint64_t start,
                                                         uint64_t step, uint64_t max_value) {
  idgen::MutexLock lock(&mu_);
  const absl::Duration deadline = clock_->MonotonicNow() + timeout_;
  if (absl::Status s = EnsureConnected(deadline); !s.ok()) return s;
  absl::StatusOr<pg_result*> res =
      Run(kLease, {counter, absl::StrCat(start), absl::StrCat(step), absl::StrCat(max_value)},
          deadline);
  if (!res.ok()) return res.status();
  absl::Cleanup clear = [r = *res] { PQclear(r); };
  if (PQresultStatus(*res) != PGRES_TUPLES_OK) {
    return absl::UnavailableError(
        absl::StrCat("postgres ", masked_url_, ": lease: ", Trimmed(PQresultErrorMessage(*res))));
  }
  if (PQntuples(*res) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("counter ", counter, " has passed max_value ", max_value));
  }
  SegmentRange r;
  if (!absl::SimpleAtoi(PQgetvalue(*res, 0, 0), &r.first) ||
      !absl::SimpleAtoi(PQgetvalue(*res, 0, 1), &r.end) || r.end <= r.first) {
    return absl::DataLossError(absl::StrCat("postgres ", masked_url_, ": counter ", counter,
                                            " answered a range that is not one"));
  }
  return r;
}

absl::StatusOr<bool> PostgresSegmentStore::GiveBack(const std::string& counter,
                                                    SegmentRange unused) {
  idgen::MutexLock lock(&mu_);
  const absl::Duration deadline = clock_->MonotonicNow() + timeout_;
  if (absl::Status s = EnsureConnected(deadline); !s.ok()) return s;
  absl::StatusOr<pg_result*> res =
      Run(kGiveBack, {counter, absl::StrCat(unused.first), absl::StrCat(unused.end)}, deadline);
  if (!res.ok()) return res.status();
  absl::Cleanup clear = [r = *res] { PQclear(r); };
  if (PQresultStatus(*res) != PGRES_COMMAND_OK) {
    return absl::UnavailableError(absl::StrCat(
        "postgres ", masked_url_, ": give back: ", Trimmed(PQresultErrorMessage(*res))));
  }
  return absl::string_view(PQcmdTuples(*res)) == "1";
}

}  // namespace idgen::segment
