// Copyright idgen authors.
#include "src/coord/etcd_token_cache.h"

#include <utility>

namespace idgen::coord {

absl::StatusOr<std::string> EtcdTokenCache::Get() {
  {
    MutexLock lock(&mu_);
    if (token_.has_value()) return *token_;
  }
  return Refresh(std::nullopt);
}

absl::StatusOr<std::string> EtcdTokenCache::Renew(const std::string& rejected) {
  return Refresh(rejected);
}

int64_t EtcdTokenCache::authentications() const {
  MutexLock lock(&mu_);
  return authentications_;
}

absl::StatusOr<std::string> EtcdTokenCache::Refresh(const std::optional<std::string>& rejected) {
  // Callers that arrive while another authenticates queue here; when their
  // turn comes, the token they would replace is usually replaced already.
  MutexLock auth(&auth_mu_);
  {
    MutexLock lock(&mu_);
    if (token_.has_value() && (!rejected.has_value() || *token_ != *rejected)) return *token_;
    ++authentications_;
  }
  absl::StatusOr<std::string> fresh = authenticate_();
  if (!fresh.ok()) return fresh.status();
  MutexLock lock(&mu_);
  token_ = *fresh;
  return fresh;
}

}  // namespace idgen::coord
