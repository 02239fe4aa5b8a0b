// Copyright idgen authors.
#include "src/server/health_watch_call.h"

namespace idgen::server {

void HealthWatchCall::Listen(grpc::health::v1::Health::AsyncService* service, HealthState* health,
                             grpc::ServerCompletionQueue* cq, CallTracker* tracker) {
  new HealthWatchCall(service, health, cq, tracker);  // owns itself from here
}

HealthWatchCall::HealthWatchCall(grpc::health::v1::Health::AsyncService* service,
                                 HealthState* health, grpc::ServerCompletionQueue* cq,
                                 CallTracker* tracker)
    : service_(service), health_(health), cq_(cq), tracker_(tracker), writer_(&ctx_) {
  tracker_->Add();
  done_tag_.call = this;
  // Before the request, as gRPC requires; it fires only for a matched call.
  ctx_.AsyncNotifyWhenDone(&done_tag_);
  service_->RequestWatch(&ctx_, &request_, &writer_, cq_, cq_, this);
}

void HealthWatchCall::Complete(bool ok) {
  if (!started_) {
    if (!ok) {  // never matched: the server is shutting down
      delete this;
      return;
    }
    started_ = true;
    Listen(service_, health_, cq_, tracker_);
    // Calls OnHealthChange with the status now, under the state's lock.
    health_->AddWatcher(request_.service(), this);
    return;
  }
  bool destroy = false;
  {
    MutexLock lock(&mu_);
    op_pending_ = false;
    if (!ok) broken_ = true;  // the client is gone; the done tag follows
    Pump();
    destroy = done_ && !op_pending_;
  }
  if (destroy) Destroy();
}

void HealthWatchCall::OnHealthChange(ServingStatus status, bool last) {
  MutexLock lock(&mu_);
  want_ = status;
  last_ = last_ || last;
  Pump();
}

void HealthWatchCall::OnDone() {
  bool destroy = false;
  {
    MutexLock lock(&mu_);
    done_ = true;
    destroy = !op_pending_;
  }
  if (destroy) Destroy();
}

void HealthWatchCall::Pump() {
  if (op_pending_ || done_ || broken_ || finishing_ || want_ < 0) return;
  if (want_ != sent_) {
    sent_ = want_;
    response_.set_status(static_cast<ServingStatus>(sent_));
    op_pending_ = true;
    writer_.Write(response_, this);
    return;
  }
  if (last_) {
    finishing_ = true;
    op_pending_ = true;
    writer_.Finish(grpc::Status::OK, this);
  }
}

void HealthWatchCall::Destroy() {
  // Without our lock: the state calls watchers under its own.
  health_->RemoveWatcher(request_.service(), this);
  delete this;
}

}  // namespace idgen::server
