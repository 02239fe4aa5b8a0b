// Copyright idgen authors.
//
// EtcdClient: a small, synchronous etcd v3 client over gRPC, covering what the
// worker-lease provider needs: KV Range/Put/DeleteRange/Txn, Lease
// Grant/Revoke/KeepAlive/TimeToLive and Auth Authenticate (hand-written proto
// subset in proto/etcd).
//
//   * Every call has a deadline (Options::call_timeout).
//   * Failover: the client talks to one endpoint at a time (the "current"
//     one). When a call fails with UNAVAILABLE or DEADLINE_EXCEEDED it is
//     retried once on each other endpoint, in list order; the first endpoint
//     that answers becomes current. A call that times out may still have been
//     applied by etcd, so callers make their writes safe to repeat (compare
//     guards that recognise their own earlier write).
//   * Errors are absl::Status with the gRPC code mapped one to one and a
//     message naming the operation, the key or lease, and every endpoint tried.
//   * Transport: plaintext gRPC for http:// (and bare HOST:PORT) endpoints;
//     TLS for https:// ones, verifying etcd's certificate against
//     Options::tls.ca_file and presenting a client certificate when one is
//     configured (etcd --client-cert-auth). gRPC reads the files again every
//     tls.reload_interval, so a renewed client certificate is used by new
//     connections without a restart. All endpoints of one client share a
//     scheme.
//   * Authentication (Options::user): Create() authenticates once
//     (Auth.Authenticate) and every call sends the token as gRPC metadata
//     "token" (plain metadata, not call credentials, which gRPC would refuse
//     on a plaintext channel). When etcd answers "invalid auth token" (the
//     token expired) the client authenticates again, once for all callers
//     that hit it together (EtcdTokenCache), and repeats the call once. The
//     password and the token never appear in a Status or anywhere else this
//     client writes.
//   * Create() fails clearly rather than later: a TLS handshake that does
//     not succeed (no client certificate, a CA that does not match) is
//     UNAVAILABLE naming the endpoint and saying it is a TLS problem; a wrong
//     user or password is UNAUTHENTICATED naming the user.
//   * A background thread per client keeps the connections to every endpoint
//     (re)established, so a call after an outage finds etcd within about a
//     second of its return instead of after gRPC's idle backoff.
//
// Thread-safety: all methods may be called concurrently.
//
// Example:
//   EtcdClient::Options options;
//   options.tls = {.ca_file = "ca.pem", .cert_file = "client.pem", .key_file = "client.key"};
//   options.user = "idgen";
//   options.password = password;  // from a file or the environment, never argv
//   auto client = EtcdClient::Create({"https://10.0.0.1:2379"}, std::move(options));
//   auto lease = (*client)->LeaseGrant(10);
//   auto txn = (*client)->Txn({EtcdCompare::CreateRevision("k", 0)},
//                             {EtcdOp::Put("k", "v", lease->id)}, {EtcdOp::Get("k")});
#ifndef IDGEN_COORD_ETCD_CLIENT_H_
#define IDGEN_COORD_ETCD_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <grpcpp/support/status.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "idgen/clock.h"
#include "src/coord/etcd_token_cache.h"
#include "src/security/tls_client_config.h"

namespace idgen::coord {

struct EtcdKeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;  // 0: not bound to a lease
};

// One predicate of a Txn: `<target of key> <result> <operand>`.
struct EtcdCompare {
  enum class Target { kVersion, kCreateRevision, kModRevision, kValue, kLease };
  enum class Result { kEqual, kGreater, kLess, kNotEqual };

  std::string key;
  Target target = Target::kVersion;
  Result result = Result::kEqual;
  int64_t number = 0;  // operand for every target but kValue
  std::string value;   // operand for kValue (bytewise comparison)

  // A key that does not exist has create_revision 0.
  static EtcdCompare CreateRevision(std::string key, int64_t rev, Result result = Result::kEqual);
  static EtcdCompare ModRevision(std::string key, int64_t rev, Result result = Result::kEqual);
  static EtcdCompare Lease(std::string key, int64_t lease_id, Result result = Result::kEqual);
  static EtcdCompare Value(std::string key, std::string value, Result result = Result::kEqual);
};

// One operation inside a Txn.
struct EtcdOp {
  enum class Kind { kGet, kPut, kDelete };

  Kind kind = Kind::kGet;
  std::string key;
  std::string value;  // kPut
  int64_t lease = 0;  // kPut; 0: no lease

  static EtcdOp Get(std::string key);
  static EtcdOp Put(std::string key, std::string value, int64_t lease = 0);
  static EtcdOp Delete(std::string key);
};

struct EtcdTxnResult {
  bool succeeded = false;  // whether every compare held
  int64_t revision = 0;    // store revision after the txn (its writes carry it)
  // One entry per executed op, in order; holds the keys found for kGet ops
  // and is empty for kPut / kDelete.
  std::vector<std::vector<EtcdKeyValue>> responses;
};

struct EtcdLeaseGrant {
  int64_t id = 0;
  int64_t ttl_seconds = 0;  // as granted by etcd (may exceed the request)
};

class EtcdClient {
 public:
  struct Options {
    // How long Create() waits for the first endpoint to be reachable; zero:
    // do not wait (connect lazily on the first call).
    absl::Duration dial_timeout = absl::Seconds(2);
    // Deadline of each RPC attempt on one endpoint.
    absl::Duration call_timeout = absl::Seconds(2);
    // Told of every call once it is done (failover included): the operation
    // ("Range", "Txn", "LeaseGrant", "LeaseKeepAlive", ...), its duration and
    // whether it succeeded. For metrics; must be thread-safe and quick.
    std::function<void(std::string_view op, absl::Duration elapsed, bool ok)> observe_call;
    // Measures the dial timeout and observe_call's durations on its
    // monotonic time; RPC deadlines stay on gRPC's real clock. Null:
    // SystemClock. Must outlive the client.
    Clock* clock = nullptr;
    // TLS toward etcd: needed (ca_file set) with https:// endpoints, refused
    // with http:// ones. Files are checked by security::CheckTlsClientConfig
    // (the caller's job, so that its messages name the caller's flags).
    security::TlsClientConfig tls;
    // etcd authentication; empty: none (or, with TLS, the client
    // certificate's CN is the etcd user).
    std::string user;
    std::string password;  // a secret: never logged, never in a Status
  };

  // `endpoints`: "http://host:port", "https://host:port" or "host:port"
  // (config::ParseEndpoint), all plaintext or all https://.
  // INVALID_ARGUMENT for an empty list, a mix of schemes, https:// without
  // tls.ca_file, TLS files with plaintext endpoints, a password without a
  // user or an endpoint of another form. With a dial timeout: UNAVAILABLE if
  // no endpoint became reachable within it (a TLS endpoint that accepts TCP
  // but fails the handshake is named as a TLS problem); with a user,
  // UNAUTHENTICATED when etcd refuses the user or password. With a dial
  // timeout of zero nothing is contacted (authentication happens at the
  // first call).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<EtcdClient>> Create(
      std::vector<std::string> endpoints, Options options);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // Keys in [key, range_end), or just `key` when range_end is empty. Use
  // PrefixEnd(p) as range_end to list a prefix.
  [[nodiscard]] absl::StatusOr<std::vector<EtcdKeyValue>> Range(const std::string& key,
                                                                const std::string& range_end = "",
                                                                bool keys_only = false);
  // The single key, or nullopt if it does not exist.
  [[nodiscard]] absl::StatusOr<std::optional<EtcdKeyValue>> Get(const std::string& key);
  // Returns the revision of the write.
  [[nodiscard]] absl::StatusOr<int64_t> Put(const std::string& key, const std::string& value,
                                            int64_t lease = 0);
  // Returns the number of keys deleted.
  [[nodiscard]] absl::StatusOr<int64_t> Delete(const std::string& key);
  [[nodiscard]] absl::StatusOr<EtcdTxnResult> Txn(const std::vector<EtcdCompare>& compares,
                                                  const std::vector<EtcdOp>& success,
                                                  const std::vector<EtcdOp>& failure);

  [[nodiscard]] absl::StatusOr<EtcdLeaseGrant> LeaseGrant(int64_t ttl_seconds);
  // Revoking a lease that no longer exists is NOT_FOUND.
  [[nodiscard]] absl::Status LeaseRevoke(int64_t lease_id);
  // Remaining seconds; <= 0 (etcd says -1) when the lease no longer exists.
  [[nodiscard]] absl::StatusOr<int64_t> LeaseTimeToLive(int64_t lease_id);
  // Renews the lease once over a short-lived LeaseKeepAlive stream and
  // returns the new TTL in seconds; <= 0 when the lease no longer exists.
  [[nodiscard]] absl::StatusOr<int64_t> KeepAliveOnce(int64_t lease_id);

  // The endpoint calls currently go to.
  std::string current_endpoint() const;
  const std::vector<std::string>& endpoints() const { return endpoints_; }
  // The etcd user calls authenticate as ("" without authentication).
  const std::string& user() const { return options_.user; }
  // Authentications so far (0 without a user); for tests.
  int64_t authentications() const;

  // The smallest key greater than every key starting with `prefix`.
  static std::string PrefixEnd(const std::string& prefix);

 private:
  struct Endpoint;

  EtcdClient(std::vector<std::string> endpoints, Options options);

  // Runs `attempt` on the current endpoint, failing over as described above.
  // `what` names the operation in error messages. `send_token`: false only
  // for Authenticate itself.
  template <typename Fn>
  [[nodiscard]] absl::Status CallWithFailover(const std::string& what, Fn&& attempt,
                                              bool send_token = true);
  template <typename Fn>
  [[nodiscard]] absl::Status CallWithFailoverOnce(const std::string& what, Fn&& attempt,
                                                  bool send_token);
  // One call on one endpoint: with the auth token when there is a user (and
  // `send_token`), and once more with a renewed token when etcd rejected it
  // as invalid.
  template <typename Fn>
  [[nodiscard]] grpc::Status Attempt(Endpoint& ep, Fn& attempt, bool send_token);

  // Auth.Authenticate as options_.user (no token sent), with failover.
  [[nodiscard]] absl::StatusOr<std::string> Authenticate();
  // Why no endpoint became ready within the dial timeout, for Create.
  [[nodiscard]] absl::Status DialFailure(absl::Duration dial_timeout);

  // Keeps every channel connecting: see ConnectorLoop in the .cc.
  void ConnectorLoop();

  const std::vector<std::string> endpoints_;
  const Options options_;
  std::vector<std::unique_ptr<Endpoint>> stubs_;
  std::atomic<size_t> current_{0};
  std::atomic<bool> stopping_{false};
  std::unique_ptr<EtcdTokenCache> tokens_;  // null without a user
  std::thread connector_;
};

}  // namespace idgen::coord

#endif  // IDGEN_COORD_ETCD_CLIENT_H_
