// Copyright idgen authors.
#include "src/server/health_state.h"

namespace idgen::server {

using Response = grpc::health::v1::HealthCheckResponse;

void HealthState::Register(const std::string& service) {
  MutexLock lock(&mu_);
  status_.emplace(service, Response::NOT_SERVING);
}

void HealthState::Set(const std::string& service, bool serving) {
  MutexLock lock(&mu_);
  if (shut_down_) return;
  auto it = status_.find(service);
  if (it == status_.end()) return;
  const ServingStatus next = serving ? Response::SERVING : Response::NOT_SERVING;
  if (it->second == next) return;
  it->second = next;
  auto [first, end] = watchers_.equal_range(service);
  for (auto w = first; w != end; ++w) w->second->OnHealthChange(next, false);
}

ServingStatus HealthState::Get(const std::string& service) const {
  MutexLock lock(&mu_);
  return GetLocked(service);
}

ServingStatus HealthState::GetLocked(const std::string& service) const {
  auto it = status_.find(service);
  return it == status_.end() ? Response::SERVICE_UNKNOWN : it->second;
}

bool HealthState::shut_down() const {
  MutexLock lock(&mu_);
  return shut_down_;
}

void HealthState::AddWatcher(const std::string& service, Watcher* watcher) {
  MutexLock lock(&mu_);
  watchers_.emplace(service, watcher);
  watcher->OnHealthChange(GetLocked(service), shut_down_);
}

void HealthState::RemoveWatcher(const std::string& service, Watcher* watcher) {
  MutexLock lock(&mu_);
  auto [first, end] = watchers_.equal_range(service);
  for (auto w = first; w != end; ++w) {
    if (w->second == watcher) {
      watchers_.erase(w);
      return;
    }
  }
}

void HealthState::Shutdown() {
  MutexLock lock(&mu_);
  if (shut_down_) return;
  shut_down_ = true;
  for (auto& [name, status] : status_) status = Response::NOT_SERVING;
  for (auto& [name, watcher] : watchers_) watcher->OnHealthChange(GetLocked(name), true);
}

}  // namespace idgen::server
