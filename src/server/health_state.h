// Copyright idgen authors.
//
// HealthState: what grpc.health.v1 answers. It holds the serving status of
// each registered service name ("" is the server as a whole) and tells
// watchers (open Watch calls) when a status they follow changes.
//
// A name that was never registered is SERVICE_UNKNOWN. Shutdown() sets every
// status to NOT_SERVING for good and tells every watcher that this is the last
// change, so Watch calls can end instead of holding a draining server open.
//
// Thread-safety: every method may be called from any thread. Watchers are
// called with the state's lock held: they must not call back into the
// HealthState and must return quickly (start an asynchronous write, no more).
// After RemoveWatcher() returns, the watcher is not called again.
//
// Example:
//   HealthState health;
//   health.Register("");                       // NOT_SERVING until Set
//   health.Set("", true);                      // SERVING; watchers told
//   health.Get("");                            // SERVING
//   health.Get("nope");                        // SERVICE_UNKNOWN
#ifndef IDGEN_SERVER_HEALTH_STATE_H_
#define IDGEN_SERVER_HEALTH_STATE_H_

#include <map>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "grpc/health/v1/health.pb.h"
#include "idgen/internal/mutex.h"

namespace idgen::server {

using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

class HealthState {
 public:
  class Watcher {
   public:
    virtual ~Watcher() = default;
    // `status` is the service's status now; `last` is true once, from
    // Shutdown(): no change follows.
    virtual void OnHealthChange(ServingStatus status, bool last) = 0;
  };

  HealthState() = default;
  HealthState(const HealthState&) = delete;
  HealthState& operator=(const HealthState&) = delete;

  // Makes `service` known (NOT_SERVING) if it is not yet.
  void Register(const std::string& service);
  // Sets a registered service's status; ignored for unknown names and after
  // Shutdown(). Watchers of `service` are told if the status changed.
  void Set(const std::string& service, bool serving);
  ServingStatus Get(const std::string& service) const;
  bool shut_down() const;

  // Adds a watcher of `service` and calls it at once with the status now
  // (last=true after Shutdown()), so it cannot miss a change.
  void AddWatcher(const std::string& service, Watcher* watcher);
  void RemoveWatcher(const std::string& service, Watcher* watcher);

  // Every status NOT_SERVING from now on; every watcher told, with last=true.
  void Shutdown();

 private:
  ServingStatus GetLocked(const std::string& service) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable idgen::Mutex mu_;
  std::map<std::string, ServingStatus> status_ ABSL_GUARDED_BY(mu_);
  std::multimap<std::string, Watcher*> watchers_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace idgen::server

#endif  // IDGEN_SERVER_HEALTH_STATE_H_
