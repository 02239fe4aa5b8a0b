// Copyright idgen authors.
//
// HealthWatchCall: one grpc.health.v1.Health/Watch call on a completion
// queue (see cq_calls.h for the pattern). It sends the watched service's
// status at once and again on every change (the latest one, if several come
// while a write is in flight), and ends the call with OK after the last
// change (HealthState::Shutdown), so a draining server is not held open by
// its watchers. A client that goes away ends it too.
//
// Thread-safety: queue events arrive on the queue's thread; health changes on
// whichever thread changed the HealthState. Both meet under the call's lock.
#ifndef IDGEN_SERVER_HEALTH_WATCH_CALL_H_
#define IDGEN_SERVER_HEALTH_WATCH_CALL_H_

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "idgen/internal/mutex.h"
#include "src/server/cq_calls.h"
#include "src/server/health_state.h"

namespace idgen::server {

class HealthWatchCall final : public CqTag, public HealthState::Watcher {
 public:
  static void Listen(grpc::health::v1::Health::AsyncService* service, HealthState* health,
                     grpc::ServerCompletionQueue* cq, CallTracker* tracker);
  ~HealthWatchCall() override { tracker_->Remove(); }

  void Complete(bool ok) override;  // the request, a write, or the finish
  void OnHealthChange(ServingStatus status, bool last) override;

 private:
  // The call's end (AsyncNotifyWhenDone): cancelled or finished.
  struct DoneTag final : public CqTag {
    HealthWatchCall* call = nullptr;
    void Complete(bool /*ok*/) override { call->OnDone(); }
  };

  HealthWatchCall(grpc::health::v1::Health::AsyncService* service, HealthState* health,
                  grpc::ServerCompletionQueue* cq, CallTracker* tracker);

  void OnDone();
  // Starts the next write or the finish if one is due and none is in flight.
  void Pump() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Destroy();

  grpc::health::v1::Health::AsyncService* const service_;
  HealthState* const health_;
  grpc::ServerCompletionQueue* const cq_;
  CallTracker* const tracker_;
  grpc::ServerContext ctx_;
  grpc::health::v1::HealthCheckRequest request_;
  grpc::ServerAsyncWriter<grpc::health::v1::HealthCheckResponse> writer_;
  DoneTag done_tag_;
  bool started_ = false;  // queue thread only

  idgen::Mutex mu_;
  grpc::health::v1::HealthCheckResponse response_ ABSL_GUARDED_BY(mu_);
  int want_ ABSL_GUARDED_BY(mu_) = -1;  // the status to report; -1 before the first
  int sent_ ABSL_GUARDED_BY(mu_) = -1;
  bool last_ ABSL_GUARDED_BY(mu_) = false;
  bool op_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace idgen::server

#endif  // IDGEN_SERVER_HEALTH_WATCH_CALL_H_
