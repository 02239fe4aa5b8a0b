// Copyright idgen authors.
#include "src/coord/etcd_lease_provider.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/types/span.h"
#include "idgen/internal/mutex.h"
#include "idgen/random.h"
#include "src/base/status_macros.h"
#include "src/coord/etcd_values.h"

namespace idgen::coord {
namespace {

// JSON string literal for `s` (quotes included).
std::string JsonQuote(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += "\"";
  return out;
}

// Whom etcd checks permissions for, for messages.
std::string EtcdUserName(const EtcdClient& client) {
  if (!client.user().empty()) return absl::StrCat("etcd user \"", client.user(), "\"");
  return "the etcd client (no --etcd-user; with client certificates, the user named by their CN)";
}

// The start-up check that the client may read and write every key under
// `prefix`: without it, each claim would fail with PERMISSION_DENIED and a
// node would retry for ever. The write check is a txn whose one compare never
// holds (no key has a negative version) and whose success branch puts a key:
// etcd checks the permissions of every op in both branches before it
// evaluates the compares, and so writes nothing.
absl::Status CheckAccess(EtcdClient& client, const std::string& prefix) {
  const std::string probe = absl::StrCat(prefix, "access-check");
  absl::Status s = client.Range(prefix, EtcdClient::PrefixEnd(prefix), /*keys_only=*/true).status();
  const char* wanted = "read";
  if (s.ok()) {
    wanted = "write";
    s = client
            .Txn({{.key = probe,
                   .target = EtcdCompare::Target::kVersion,
                   .result = EtcdCompare::Result::kLess,
                   .number = 0}},
                 {EtcdOp::Put(probe, "")}, {})
            .status();
  }
  if (s.ok()) return s;
  if (s.code() == absl::StatusCode::kPermissionDenied) {
    return absl::PermissionDeniedError(absl::StrCat(
        EtcdUserName(client), " may not ", wanted, " keys under ", prefix, " (", s.message(),
        "); idgen needs read and write there: etcdctl role grant-permission ROLE --prefix=true "
        "readwrite ",
        prefix));
  }
  if (client.user().empty() && absl::StrContains(s.message(), "user name is empty")) {
    return absl::UnauthenticatedError(absl::StrCat(
        "etcd has authentication enabled and no user was given (", s.message(),
        "): pass --etcd-user with a password in IDGEN_ETCD_PASSWORD or --etcd-password-file"));
  }
  return s;
}

std::string HolderJson(const AcquireOptions& options, int64_t lease_id, int64_t now_ms) {
  return absl::StrCat("{\"node\":", JsonQuote(options.node_name),
                      ",\"address\":", JsonQuote(options.node_address), ",\"pid\":", ::getpid(),
                      ",\"start_time_ms\":", now_ms, ",\"lease_id\":", lease_id, "}");
}

// The stored reservation: 0 when the key does not exist.
[[nodiscard]] absl::StatusOr<int64_t> ParseReservation(const std::vector<EtcdKeyValue>& kvs,
                                                       const std::string& key) {
  if (kvs.empty()) return 0;
  return ParseReservationValue(key, kvs.front().value);
}

int64_t RandomBelow(int64_t n) {
  std::array<uint8_t, 8> bytes;
  OsRandom::Default()->Fill(absl::MakeSpan(bytes));
  uint64_t r = 0;
  std::memcpy(&r, bytes.data(), sizeof(r));
  return static_cast<int64_t>(r % static_cast<uint64_t>(n));
}

struct ClaimParams {
  int64_t worker_id = 0;
  int64_t lease_id = 0;
  absl::Duration ttl;
  absl::Duration margin;
  std::string worker_key;
  std::string reservation_key;
  int64_t claim_revision = 0;            // create_revision of our worker key
  int64_t floor = 0;                     // reservation when claimed
  int64_t reservation_mod_revision = 0;  // 0: the key does not exist
  absl::Duration ack_sent_at;            // when the lease grant was sent
};

class EtcdWorkerLease final : public WorkerLease {
 public:
  EtcdWorkerLease(std::shared_ptr<EtcdClient> client, Clock* clock, ClaimParams p)
      : client_(std::move(client)),
        clock_(clock),
        p_(std::move(p)),
        interval_(p_.ttl / 3),
        last_ack_sent_ns_(absl::ToInt64Nanoseconds(p_.ack_sent_at)),
        reserved_(p_.floor),
        reservation_mod_revision_(p_.reservation_mod_revision) {
    // The first wait is fixed here, not in the thread, so that it does not
    // depend on when the thread gets to run (tests move a FakeClock at once).
    const absl::Duration first_wait = interval_ - (clock_->MonotonicNow() - p_.ack_sent_at);
    keepalive_ = std::thread([this, first_wait] { KeepAliveLoop(first_wait); });
  }

  ~EtcdWorkerLease() override { (void)Release(); }

  int64_t worker_id() const override { return p_.worker_id; }
  int64_t floor_unix_ms() const override { return p_.floor; }

  absl::Status Reserve(int64_t unix_ms) override {
    idgen::MutexLock lock(&mu_);
    return WriteReservation(unix_ms, /*settle=*/false);
  }

  absl::Status Settle(int64_t unix_ms) override {
    idgen::MutexLock lock(&mu_);
    if (unix_ms < p_.floor) {
      return absl::InvalidArgumentError(absl::StrCat("cannot settle the reservation of worker id ",
                                                     p_.worker_id, " at ", unix_ms,
                                                     " ms, below the floor of ", p_.floor, " ms"));
    }
    return WriteReservation(unix_ms, /*settle=*/true);
  }

  int64_t reserved_unix_ms() const override {
    idgen::MutexLock lock(&mu_);
    return reserved_;
  }

  bool Held() const override {
    if (state_.load() != kHeld) return false;
    const absl::Duration since = clock_->MonotonicNow() - LastAckSent();
    if (since > p_.ttl - p_.margin) {
      Fence(absl::StrCat("no keepalive acknowledged for ", absl::FormatDuration(since),
                         " (limit ttl ", absl::FormatDuration(p_.ttl), " - margin ",
                         absl::FormatDuration(p_.margin), ")"));
      return false;
    }
    return true;
  }

  LeaseStatus Status() const override {
    const bool held = Held();  // refreshes the fencing state first
    const int state = state_.load();
    int64_t ttl_left_ms = 0;
    if (state != kReleased) {
      const absl::Duration left = p_.ttl - (clock_->MonotonicNow() - LastAckSent());
      ttl_left_ms = std::max<int64_t>(0, absl::ToInt64Milliseconds(left));
    }
    std::string detail = absl::StrCat("etcd ", client_->current_endpoint(), " key ", p_.worker_key);
    if (state == kFenced) {
      idgen::MutexLock lock(&fence_mu_);
      absl::StrAppend(&detail, "; fenced: ", fence_reason_);
    }
    return {.backend = "etcd",
            .state = held ? "held" : (state == kReleased ? "released" : "fenced"),
            .lease_id = p_.lease_id,
            .ttl_left_ms = ttl_left_ms,
            .detail = std::move(detail)};
  }

  absl::Status Release() override {
    if (state_.exchange(kReleased) == kReleased) return absl::OkStatus();
    StopKeepAlive();
    absl::Status s = client_->LeaseRevoke(p_.lease_id);
    if (s.ok() || s.code() == absl::StatusCode::kNotFound) return absl::OkStatus();
    return absl::Status(s.code(),
                        absl::StrCat("releasing worker id ", p_.worker_id, ": ", s.message(),
                                     "; it frees itself within ", absl::FormatDuration(p_.ttl)));
  }

 private:
  enum State : int { kHeld, kFenced, kReleased };

  // Stores `unix_ms` as the reservation: only if higher, or exactly (settle).
  // The txn holds only while our claim stands and nobody changed the key
  // since we last wrote or read it.
  absl::Status WriteReservation(int64_t unix_ms, bool settle) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (!Held()) return NotHeldError();
      if (settle ? unix_ms == reserved_ : unix_ms <= reserved_) return absl::OkStatus();
      absl::StatusOr<EtcdTxnResult> txn =
          client_->Txn({EtcdCompare::Lease(p_.worker_key, p_.lease_id),
                        EtcdCompare::CreateRevision(p_.worker_key, p_.claim_revision),
                        EtcdCompare::ModRevision(p_.reservation_key, reservation_mod_revision_)},
                       {EtcdOp::Put(p_.reservation_key, absl::StrCat(unix_ms))},
                       {EtcdOp::Get(p_.worker_key), EtcdOp::Get(p_.reservation_key)});
      if (!txn.ok()) return txn.status();  // nothing promised; the caller retries
      if (txn->succeeded) {
        reserved_ = unix_ms;
        reservation_mod_revision_ = txn->revision;
        return absl::OkStatus();
      }
      // Why did a compare fail? Either the claim is gone, or the reservation
      // moved: typically our own earlier write whose answer was lost.
      const std::vector<EtcdKeyValue>& worker = txn->responses.at(0);
      if (worker.empty() || worker[0].lease != p_.lease_id ||
          worker[0].create_revision != p_.claim_revision) {
        Fence(worker.empty() ? absl::StrCat("claim lost: ", p_.worker_key, " no longer exists")
                             : absl::StrCat("claim lost: ", p_.worker_key, " now belongs to ",
                                            worker[0].value));
        return NotHeldError();
      }
      const std::vector<EtcdKeyValue>& res = txn->responses.at(1);
      IDGEN_ASSIGN_OR_RETURN(int64_t stored, ParseReservation(res, p_.reservation_key));
      reservation_mod_revision_ = res.empty() ? 0 : res[0].mod_revision;
      // Adopting a higher stored value is safe: it only raises the floor.
      reserved_ = settle ? stored : std::max(reserved_, stored);
    }
    return absl::AbortedError(absl::StrCat("reservation ", p_.reservation_key,
                                           " kept changing under worker id ", p_.worker_id,
                                           "; is another process writing it?"));
  }

  absl::Duration LastAckSent() const { return absl::Nanoseconds(last_ack_sent_ns_.load()); }

  absl::Status NotHeldError() const {
    if (state_.load() == kReleased) {
      return absl::FailedPreconditionError(
          absl::StrCat("worker id ", p_.worker_id, " was released; cannot write its reservation"));
    }
    idgen::MutexLock lock(&fence_mu_);
    return absl::FailedPreconditionError(absl::StrCat("worker id ", p_.worker_id,
                                                      " is no longer held (", fence_reason_,
                                                      "); acquire a worker id again"));
  }

  // Held -> fenced, once; the first reason sticks. Wakes the keepalive
  // thread, which then revokes the lease.
  void Fence(const std::string& reason) const {
    {
      int expected = kHeld;
      idgen::MutexLock lock(&fence_mu_);
      if (!state_.compare_exchange_strong(expected, kFenced)) return;
      fence_reason_ = reason;
    }
    idgen::MutexLock lock(&stop_mu_);
    wake_ = true;
    stop_cv_.SignalAll();
  }

  // Sleeps up to `d` of real time or until woken; false once StopKeepAlive()
  // was called.
  bool WaitFor(absl::Duration d) {
    // Real time on purpose: the keepalive must reach etcd on etcd's clock,
    // whatever the injected clock says.
    Clock* const real = SystemClock::Get();
    const absl::Duration deadline = real->MonotonicNow() + d;
    idgen::MutexLock lock(&stop_mu_);
    while (!stop_ && !wake_) {
      const absl::Duration left = deadline - real->MonotonicNow();
      if (left <= absl::ZeroDuration()) break;
      stop_cv_.WaitFor(left);
    }
    wake_ = false;
    return !stop_;
  }

  void StopKeepAlive() {
    {
      idgen::MutexLock lock(&stop_mu_);
      stop_ = true;
      stop_cv_.SignalAll();
    }
    if (keepalive_.joinable() && keepalive_.get_id() != std::this_thread::get_id()) {
      keepalive_.join();
    }
  }

  void KeepAliveLoop(absl::Duration first_wait) {
    const absl::Duration retry = std::min(interval_, absl::Milliseconds(250));
    absl::Duration wait = first_wait;
    while (WaitFor(wait)) {
      if (!Held()) break;
      const absl::Duration sent = clock_->MonotonicNow();
      absl::StatusOr<int64_t> ttl = client_->KeepAliveOnce(p_.lease_id);
      if (!ttl.ok()) {
        wait = retry;  // Held() turns false by itself if this goes on
        continue;
      }
      if (*ttl <= 0) {
        Fence(absl::StrCat("etcd says lease ", p_.lease_id,
                           " no longer exists (expired or revoked)"));
        break;
      }
      const absl::Duration previous = LastAckSent();
      if (sent - previous > p_.ttl - p_.margin) {
        // Nobody looked in time, but the gap was too long: fence all the same.
        Fence(absl::StrCat("keepalive gap of ", absl::FormatDuration(sent - previous)));
        break;
      }
      last_ack_sent_ns_.store(absl::ToInt64Nanoseconds(std::max(previous, sent)));
      wait = interval_ - (clock_->MonotonicNow() - sent);
    }
    // Fenced: give the id back now rather than when the TTL runs out.
    if (state_.load() == kFenced) (void)client_->LeaseRevoke(p_.lease_id);
  }

  const std::shared_ptr<EtcdClient> client_;
  Clock* const clock_;
  const ClaimParams p_;
  const absl::Duration interval_;

  // Monotonic ns at which the last acknowledged keepalive (or the grant) was sent.
  std::atomic<int64_t> last_ack_sent_ns_;
  mutable std::atomic<int> state_{kHeld};
  mutable idgen::Mutex fence_mu_;
  mutable std::string fence_reason_ ABSL_GUARDED_BY(fence_mu_);

  // Serialises Reserve().
  mutable idgen::Mutex mu_;
  int64_t reserved_ ABSL_GUARDED_BY(mu_);
  int64_t reservation_mod_revision_ ABSL_GUARDED_BY(mu_);

  mutable idgen::Mutex stop_mu_;
  mutable idgen::CondVar stop_cv_{&stop_mu_};
  bool stop_ ABSL_GUARDED_BY(stop_mu_) = false;
  mutable bool wake_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread keepalive_;
};

bool ValidClusterName(const std::string& name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

}  // namespace

absl::StatusOr<std::unique_ptr<EtcdLeaseProvider>> EtcdLeaseProvider::Create(
    EtcdLeaseOptions options) {
  if (!ValidClusterName(options.cluster)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cluster name \"", options.cluster,
                     "\" must be non-empty and use only letters, digits, '-', '_' and '.'"));
  }
  if (options.ttl < absl::Seconds(2)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "lease TTL ", absl::FormatDuration(options.ttl),
        " is too short: the minimum is 2s (etcd cannot keep shorter leases reliably)"));
  }
  if (options.ttl != absl::Seconds(absl::ToInt64Seconds(options.ttl))) {
    return absl::InvalidArgumentError(absl::StrCat("lease TTL ", absl::FormatDuration(options.ttl),
                                                   " must be a whole number of seconds"));
  }
  if (options.safety_margin == absl::ZeroDuration()) {
    options.safety_margin = std::max(absl::Milliseconds(500), options.ttl / 5);
  }
  if (options.safety_margin < absl::ZeroDuration() ||
      options.ttl - options.safety_margin <= options.ttl / 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "safety margin ", absl::FormatDuration(options.safety_margin),
        " must be positive and leave more than ttl/3 (the keepalive interval) of the TTL ",
        absl::FormatDuration(options.ttl)));
  }
  if (options.clock == nullptr) options.clock = SystemClock::Get();
  IDGEN_ASSIGN_OR_RETURN(std::unique_ptr<EtcdClient> client,
                         EtcdClient::Create(options.endpoints, options.client));
  if (options.check_access && options.client.dial_timeout > absl::ZeroDuration()) {
    IDGEN_RETURN_IF_ERROR(CheckAccess(*client, absl::StrCat("/idgen/", options.cluster, "/")));
  }
  return std::unique_ptr<EtcdLeaseProvider>(
      new EtcdLeaseProvider(std::move(options), std::shared_ptr<EtcdClient>(std::move(client))));
}

absl::Status EtcdLeaseProvider::AllTaken(const AcquireOptions& options) const {
  return absl::ResourceExhaustedError(absl::StrCat(
      "all ", options.max_workers - options.min_worker, " worker ids under /idgen/",
      options_.cluster, "/workers/ (", options.min_worker, "-", options.max_workers - 1,
      ") are held by live nodes; stop a node, wait up to ", absl::FormatDuration(options_.ttl),
      " for a dead node's lease to expire, or use a layout with more worker bits"));
}

std::string EtcdLeaseProvider::WorkerKey(int64_t id) const {
  return absl::StrCat("/idgen/", options_.cluster, "/workers/", id);
}

std::string EtcdLeaseProvider::ReservationKey(int64_t id) const {
  return absl::StrCat("/idgen/", options_.cluster, "/reservations/", id);
}

absl::StatusOr<std::unique_ptr<WorkerLease>> EtcdLeaseProvider::Acquire(
    const AcquireOptions& options) {
  IDGEN_RETURN_IF_ERROR(ValidateAcquireOptions(options));
  Clock* const clock = options_.clock;

  // Candidate ids: the requested one, or every id not listed as taken, from a
  // random start. The list is only a hint; each claim is a guarded txn.
  std::vector<int64_t> candidates;
  if (options.worker_id) {
    candidates.push_back(*options.worker_id);
  } else {
    const std::string prefix = absl::StrCat("/idgen/", options_.cluster, "/workers/");
    IDGEN_ASSIGN_OR_RETURN(
        std::vector<EtcdKeyValue> taken_kvs,
        client_->Range(prefix, EtcdClient::PrefixEnd(prefix), /*keys_only=*/true));
    std::set<int64_t> taken;
    for (const EtcdKeyValue& kv : taken_kvs) {
      if (std::optional<int64_t> id = WorkerIdOfKey(kv.key, prefix)) taken.insert(*id);
    }
    const int64_t count = options.max_workers - options.min_worker;
    const int64_t start = RandomBelow(count);
    for (int64_t i = 0; i < count; ++i) {
      const int64_t id = options.min_worker + (start + i) % count;
      if (taken.count(id) == 0) candidates.push_back(id);
    }
  }
  if (candidates.empty()) {
    return AllTaken(options);
  }

  const absl::Duration grant_sent = clock->MonotonicNow();
  IDGEN_ASSIGN_OR_RETURN(EtcdLeaseGrant grant,
                         client_->LeaseGrant(absl::ToInt64Seconds(options_.ttl)));
  bool claimed = false;
  auto revoke_unless_claimed = [&] {
    if (!claimed) (void)client_->LeaseRevoke(grant.id);
  };
  const std::string holder = HolderJson(options, grant.id, clock->WallUnixMillis());

  for (const int64_t id : candidates) {
    const std::string worker_key = WorkerKey(id);
    const std::string reservation_key = ReservationKey(id);
    absl::StatusOr<EtcdTxnResult> txn =
        client_->Txn({EtcdCompare::CreateRevision(worker_key, 0)},
                     {EtcdOp::Put(worker_key, holder, grant.id), EtcdOp::Get(reservation_key)},
                     {EtcdOp::Get(worker_key)});
    if (!txn.ok()) {
      revoke_unless_claimed();
      return txn.status();
    }
    ClaimParams p{.worker_id = id,
                  .lease_id = grant.id,
                  .ttl = std::min(options_.ttl, absl::Seconds(grant.ttl_seconds)),
                  .margin = options_.safety_margin,
                  .worker_key = worker_key,
                  .reservation_key = reservation_key,
                  .ack_sent_at = grant_sent};
    std::vector<EtcdKeyValue> reservation;
    if (txn->succeeded) {
      p.claim_revision = txn->revision;
      reservation = txn->responses.at(1);
    } else {
      const std::vector<EtcdKeyValue>& current = txn->responses.at(0);
      if (!current.empty() && current[0].lease == grant.id) {
        // Our own claim, applied by an attempt whose answer was lost. Only the
        // holder writes the reservation, so reading it now is still atomic
        // enough: nobody else can have changed it since the claim.
        p.claim_revision = current[0].create_revision;
        absl::StatusOr<std::vector<EtcdKeyValue>> r = client_->Range(reservation_key);
        if (!r.ok()) {
          revoke_unless_claimed();
          return r.status();
        }
        reservation = std::move(*r);
      } else if (options.worker_id) {
        revoke_unless_claimed();
        return absl::AlreadyExistsError(
            absl::StrCat("worker id ", id, " is already held (",
                         current.empty() ? std::string("holder unknown") : current[0].value,
                         "); choose another --worker-id or omit it to take a free one"));
      } else {
        continue;  // taken since we listed; try the next one
      }
    }
    absl::StatusOr<int64_t> floor = ParseReservation(reservation, reservation_key);
    if (!floor.ok()) {
      revoke_unless_claimed();  // also drops the claim we just made
      return floor.status();
    }
    p.floor = *floor;
    p.reservation_mod_revision = reservation.empty() ? 0 : reservation[0].mod_revision;
    claimed = true;
    return std::unique_ptr<WorkerLease>(new EtcdWorkerLease(client_, clock, std::move(p)));
  }
  revoke_unless_claimed();
  return AllTaken(options);
}

}  // namespace idgen::coord
