// Copyright idgen authors.
//
// The building blocks of CqServer (private to src/server): one object per
// RPC on a completion queue.
//
//   CqTag        what a queue event points to; the queue's thread calls
//                Complete(ok) with the event's ok bit.
//   UnaryCall    request -> handler -> Finish; the handler returns the status.
//   ChatCall     a bidirectional stream answered message by message: read a
//                request, write the handler's answer, read the next; the
//                handler reports failures in-band, so the stream stays open.
//   CallTracker  counts the objects alive, so that the server shuts its
//                queues only after the last one is gone.
//
// Each object requests its call at construction and deletes itself when its
// last event is back; when its call is matched it first constructs the next
// listener for the same method, so no call waits for an earlier one.
//
// A call that may wait (UnaryMethod::may_wait: a segment namespace with an
// empty buffer) is answered on a BlockingPool thread instead, which then
// starts the call's next operation; the queue thread goes on with others.
//
// Thread-safety: a call object is touched by one thread at a time: the
// thread draining its queue, or the pool thread answering it while none of
// its operations is outstanding. CallTracker may be used from any thread.
#ifndef IDGEN_SERVER_CQ_CALLS_H_
#define IDGEN_SERVER_CQ_CALLS_H_

#include <chrono>
#include <functional>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "idgen/clock.h"
#include "idgen/internal/mutex.h"
#include "src/server/blocking_pool.h"
#include "src/server/call_access.h"

namespace idgen::server {

class CqTag {
 public:
  virtual ~CqTag() = default;
  virtual void Complete(bool ok) = 0;
};

// Counts the call objects alive on a server's queues. gRPC's Server::Shutdown
// returns once every call is over on the wire, but an object may still have
// an event to take (a failed read) and a last operation to start (Finish);
// the queues may only be shut down after that, so the server waits here.
class CallTracker {
 public:
  void Add() {
    idgen::MutexLock lock(&mu_);
    ++live_;
  }
  void Remove() {
    idgen::MutexLock lock(&mu_);
    if (--live_ == 0) zero_.SignalAll();
  }
  // True when none is alive; false if `timeout` (of `clock`'s monotonic
  // time) passed first.
  bool WaitForNone(absl::Duration timeout, Clock* clock) {
    const absl::Duration deadline = clock->MonotonicNow() + timeout;
    idgen::MutexLock lock(&mu_);
    while (live_ != 0) {
      const absl::Duration left = deadline - clock->MonotonicNow();
      if (left <= absl::ZeroDuration()) return false;
      zero_.WaitFor(left);
    }
    return true;
  }

 private:
  idgen::Mutex mu_;
  idgen::CondVar zero_{&mu_};
  long live_ ABSL_GUARDED_BY(mu_) = 0;
};

// How to request one method's calls from the generated AsyncService, and
// what to answer. Owned by the server; listeners point to it.
template <class Req, class Resp>
struct UnaryMethod {
  CallTracker* tracker = nullptr;
  std::function<void(grpc::ServerContext*, Req*, grpc::ServerAsyncResponseWriter<Resp>*,
                     grpc::ServerCompletionQueue*, void*)>
      request;
  // May read the call's metadata and add trailing metadata.
  std::function<grpc::Status(grpc::ServerContext&, const Req&, Resp*)> handle;
  // Who may call (empty: everyone); a non-OK status is the answer.
  std::function<grpc::Status(const grpc::ServerContext&)> authorize;
  // Whether answering `request` may wait (optional, with `blocking`): such
  // calls are answered on `blocking`, not on the queue thread.
  std::function<bool(const Req&)> may_wait;
  BlockingPool* blocking = nullptr;
};

template <class Req, class Resp>
class UnaryCall final : public CqTag {
 public:
  static void Listen(const UnaryMethod<Req, Resp>* method, grpc::ServerCompletionQueue* cq) {
    new UnaryCall(method, cq);  // owns itself from here
  }
  ~UnaryCall() override { method_->tracker->Remove(); }

  void Complete(bool ok) override {
    // !ok while requested: the server is shutting down. After Finish: done,
    // whether or not the client was still there to get the answer.
    if (!ok || finishing_) {
      delete this;
      return;
    }
    Listen(method_, cq_);
    finishing_ = true;
    if (method_->authorize) {
      if (const grpc::Status refused = method_->authorize(ctx_); !refused.ok()) {
        writer_.FinishWithError(refused, this);
        return;
      }
    }
    if (ctx_.deadline() < std::chrono::system_clock::now()) {
      writer_.FinishWithError(
          grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed before the call ran"),
          this);
      return;
    }
    if (method_->blocking != nullptr && method_->may_wait && method_->may_wait(request_)) {
      method_->blocking->Run([this] {
        // It may have waited in the pool's queue.
        if (ctx_.deadline() < std::chrono::system_clock::now()) {
          writer_.FinishWithError(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                               "deadline passed before the call ran"),
                                  this);
          return;
        }
        Answer();
      });
      return;
    }
    Answer();
  }

 private:
  // The last thing done with `this`: the queue thread may delete it as soon
  // as Finish is started.
  void Answer() {
    const grpc::Status s = method_->handle(ctx_, request_, &response_);
    if (s.ok()) {
      writer_.Finish(response_, s, this);
    } else {
      writer_.FinishWithError(s, this);
    }
  }

  UnaryCall(const UnaryMethod<Req, Resp>* method, grpc::ServerCompletionQueue* cq)
      : method_(method), cq_(cq), writer_(&ctx_) {
    method_->tracker->Add();
    method_->request(&ctx_, &request_, &writer_, cq_, this);
  }
  const UnaryMethod<Req, Resp>* const method_;
  grpc::ServerCompletionQueue* const cq_;
  grpc::ServerContext ctx_;
  Req request_;
  Resp response_;
  grpc::ServerAsyncResponseWriter<Resp> writer_;
  bool finishing_ = false;
};

template <class Req, class Resp>
struct ChatMethod {
  CallTracker* tracker = nullptr;
  std::function<void(grpc::ServerContext*, grpc::ServerAsyncReaderWriter<Resp, Req>*,
                     grpc::ServerCompletionQueue*, void*)>
      request;
  // One answer per request, for the caller `open` identified.
  std::function<void(const CallerContext&, const Req&, Resp*)> answer;
  // As UnaryMethod::authorize, checked once when the stream opens.
  std::function<grpc::Status(const grpc::ServerContext&)> authorize;
  // Who the stream comes from (optional), once when it opens, after
  // `authorize`; a non-OK status ends the stream with it.
  std::function<grpc::Status(const grpc::ServerContext&, CallerContext*)> open;
  // As UnaryMethod's, per request of the stream.
  std::function<bool(const Req&)> may_wait;
  BlockingPool* blocking = nullptr;
};

template <class Req, class Resp>
class ChatCall final : public CqTag {
 public:
  static void Listen(const ChatMethod<Req, Resp>* method, grpc::ServerCompletionQueue* cq) {
    new ChatCall(method, cq);  // owns itself from here
  }
  ~ChatCall() override { method_->tracker->Remove(); }

  void Complete(bool ok) override {
    switch (state_) {
      case State::kRequested:
        if (!ok) break;  // shutting down
        Listen(method_, cq_);
        if (method_->authorize) {
          if (const grpc::Status refused = method_->authorize(ctx_); !refused.ok()) {
            Finish(refused);
            return;
          }
        }
        if (method_->open) {
          if (const grpc::Status refused = method_->open(ctx_, &caller_); !refused.ok()) {
            Finish(refused);
            return;
          }
        }
        Read();
        return;
      case State::kReading:
        if (!ok) {  // the client half-closed, or the call was cancelled
          Finish(grpc::Status::OK);
          return;
        }
        if (method_->blocking != nullptr && method_->may_wait && method_->may_wait(request_)) {
          method_->blocking->Run([this] { AnswerAndWrite(); });
          return;
        }
        AnswerAndWrite();
        return;
      case State::kWriting:
        if (!ok) {
          Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "stream write failed"));
          return;
        }
        Read();
        return;
      case State::kFinishing:
        break;
    }
    delete this;
  }

 private:
  enum class State { kRequested, kReading, kWriting, kFinishing };

  ChatCall(const ChatMethod<Req, Resp>* method, grpc::ServerCompletionQueue* cq)
      : method_(method), cq_(cq), stream_(&ctx_) {
    method_->tracker->Add();
    method_->request(&ctx_, &stream_, cq_, this);
  }
  void Read() {
    state_ = State::kReading;
    stream_.Read(&request_, this);
  }
  // On the queue thread or the blocking pool; no operation of the stream is
  // outstanding meanwhile. The write is the last thing done with `this`.
  void AnswerAndWrite() {
    response_.Clear();
    method_->answer(caller_, request_, &response_);
    state_ = State::kWriting;
    stream_.Write(response_, this);
  }
  void Finish(const grpc::Status& s) {
    state_ = State::kFinishing;
    stream_.Finish(s, this);
  }

  const ChatMethod<Req, Resp>* const method_;
  grpc::ServerCompletionQueue* const cq_;
  grpc::ServerContext ctx_;
  grpc::ServerAsyncReaderWriter<Resp, Req> stream_;
  Req request_;
  Resp response_;
  CallerContext caller_;
  State state_ = State::kRequested;
};

}  // namespace idgen::server

#endif  // IDGEN_SERVER_CQ_CALLS_H_
