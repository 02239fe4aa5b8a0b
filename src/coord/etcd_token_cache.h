// Copyright idgen authors.
//
// EtcdTokenCache: the etcd authentication token that every call of one
// EtcdClient sends (gRPC metadata "token"), obtained once and renewed when
// etcd stops accepting it.
//
//   * Get() returns the cached token, authenticating first when there is
//     none yet.
//   * Renew(rejected) is what a call does after etcd answered "invalid auth
//     token" (the token expired: etcd --auth-token-ttl, or the member
//     restarted): it authenticates anew, one caller at a time. Concurrent
//     callers holding the same rejected token wait for that one
//     authentication and share its token; a caller whose rejected token was
//     already replaced gets the replacement without authenticating.
//   * A failed authentication leaves the cache as it was and returns the
//     error; the next Get or Renew tries again.
//   * An empty token is a valid answer: etcd without authentication enabled
//     issues none, and calls then send no metadata.
//
// The token is a secret: this class never logs it or puts it in a Status.
//
// Thread-safety: all methods may be called concurrently. `authenticate` is
// called by at most one thread at a time, with no lock of the cache's state
// held, so Get() of a cached token never waits for it.
//
// Example:
//   EtcdTokenCache tokens([&] { return AuthenticateRpc(user, password); });
//   absl::StatusOr<std::string> t = tokens.Get();
//   ... the call fails with "invalid auth token" ...
//   t = tokens.Renew(*t);   // retry the call once with *t
#ifndef IDGEN_COORD_ETCD_TOKEN_CACHE_H_
#define IDGEN_COORD_ETCD_TOKEN_CACHE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "idgen/internal/mutex.h"

namespace idgen::coord {

class EtcdTokenCache {
 public:
  // Asks etcd for a new token (Auth.Authenticate).
  using Authenticate = std::function<absl::StatusOr<std::string>()>;

  explicit EtcdTokenCache(Authenticate authenticate) : authenticate_(std::move(authenticate)) {}
  EtcdTokenCache(const EtcdTokenCache&) = delete;
  EtcdTokenCache& operator=(const EtcdTokenCache&) = delete;

  // The cached token, or a new one when there is none yet.
  [[nodiscard]] absl::StatusOr<std::string> Get();

  // A token other than `rejected`: the one another caller already obtained,
  // or a new one.
  [[nodiscard]] absl::StatusOr<std::string> Renew(const std::string& rejected);

  // How many times `authenticate` was called (successful or not).
  int64_t authentications() const;

 private:
  // Authenticates unless the cached token is already usable: set and, when
  // `rejected` is given, different from it.
  absl::StatusOr<std::string> Refresh(const std::optional<std::string>& rejected);

  const Authenticate authenticate_;
  // Held while authenticating: one authentication at a time.
  Mutex auth_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable Mutex mu_;
  std::optional<std::string> token_ ABSL_GUARDED_BY(mu_);
  int64_t authentications_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace idgen::coord

#endif  // IDGEN_COORD_ETCD_TOKEN_CACHE_H_
