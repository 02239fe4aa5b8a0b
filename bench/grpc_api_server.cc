// Copyright idgen authors.
//
// grpc_api_server: a benchmark-only server for comparing gRPC's C++ server
// APIs on the idgen.v1.IdGenerator hot paths (NextId, NextIds, StreamIds).
// Every mode answers through the same IdNamespace and the same validation
// code (IdService::Find / IdService::Issue); only the gRPC plumbing differs.
//
//   --api callback  the project's real idgen::server::IdService (callback API,
//                   as `idgen serve` registers it)
//   --api cq        a completion-queue (async) implementation written here:
//                   --cqs N server completion queues, each drained by one
//                   thread, CallData state machines per call
//   --api sync      the synchronous API on gRPC's default thread pool
//
// No health service, no reflection, no admin HTTP in any mode: those are the
// same whichever API serves IdGenerator and only add noise. Decode and GetInfo
// are not served in cq mode (never requested; calls wait for their deadline);
// the benchmark does not call them.
//
// Prints "listening on PORT" once serving, then runs until SIGTERM/SIGINT.
// Run by bench/grpc_api_compare.sh; figures are in docs/BENCHMARKS.md.
#include <pthread.h>
#include <csignal>

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "idgen/clock.h"
#include "idgen/v1/idgen.grpc.pb.h"
#include "src/server/id_namespace.h"
#include "src/server/id_service.h"
#include "src/server/server_config.h"
#include "src/server/worker_claim.h"

namespace idgen::bench {
namespace {

using server::IdService;
using server::ToGrpc;

bool DeadlinePassed(const grpc::ServerContext& ctx) {
  return ctx.deadline() < std::chrono::system_clock::now();
}

// A worker lease that is always held and stores reservations in memory: this
// server measures the gRPC API, not the reservation store.
class InMemoryLease final : public coord::WorkerLease {
 public:
  int64_t worker_id() const override { return 0; }
  int64_t floor_unix_ms() const override { return 0; }
  absl::Status Reserve(int64_t unix_ms) override {
    int64_t cur = reserved_.load();
    while (unix_ms > cur && !reserved_.compare_exchange_weak(cur, unix_ms)) {
    }
    return absl::OkStatus();
  }
  absl::Status Settle(int64_t unix_ms) override {
    reserved_.store(unix_ms);
    return absl::OkStatus();
  }
  int64_t reserved_unix_ms() const override { return reserved_.load(); }
  bool Held() const override { return true; }
  coord::LeaseStatus Status() const override { return {.backend = "memory", .state = "held"}; }
  absl::Status Release() override { return absl::OkStatus(); }

 private:
  std::atomic<int64_t> reserved_{0};
};

// ------------------------------------------------------------------ cq mode

// Per drain thread: handlers run under `mu`, so that once `shutdown` is set
// (under `mu`) no handler starts another operation. Same scheme as gRPC's own
// async QPS server (test/cpp/qps/server_async.cc). Uncontended in steady state.
struct ThreadState {
  std::mutex mu;
  bool shutdown = false;
};

class CallData {
 public:
  virtual ~CallData() = default;
  // Handles the completion of the last operation started; starts the next.
  virtual void Proceed(bool ok) = 0;
};

// NextIds and NextId: request -> answer -> finish -> request again. Objects
// are owned by CqServer and reused call after call (messages kept; a fresh
// ServerContext and writer per call, as gRPC requires).
template <typename Request, typename Response, typename Handler, typename RequestFn>
class UnaryCall final : public CallData {
 public:
  UnaryCall(grpc::ServerCompletionQueue* cq, Handler handler, RequestFn request_fn)
      : cq_(cq), handler_(std::move(handler)), request_fn_(std::move(request_fn)) {
    Listen();
  }

  void Proceed(bool ok) override {
    if (!finishing_) {
      if (!ok) return;  // server shutting down; the request was cancelled
      finishing_ = true;
      grpc::Status status;
      if (DeadlinePassed(*ctx_)) {
        status = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed");
      } else {
        status = handler_(request_, &response_);
      }
      if (status.ok()) {
        writer_->Finish(response_, status, this);
      } else {
        writer_->FinishWithError(status, this);
      }
      return;
    }
    // Finish completed (ok or not): serve the next call with this object.
    Listen();
  }

 private:
  void Listen() {
    finishing_ = false;
    writer_.reset();  // refers to the old context
    ctx_ = std::make_unique<grpc::ServerContext>();
    writer_ = std::make_unique<grpc::ServerAsyncResponseWriter<Response>>(ctx_.get());
    request_.Clear();
    response_.Clear();
    request_fn_(ctx_.get(), &request_, writer_.get(), cq_, this);
  }

  grpc::ServerCompletionQueue* const cq_;
  const Handler handler_;
  const RequestFn request_fn_;
  std::unique_ptr<grpc::ServerContext> ctx_;
  std::unique_ptr<grpc::ServerAsyncResponseWriter<Response>> writer_;
  Request request_;
  Response response_;
  bool finishing_ = false;
};

// StreamIds: read -> answer in-band -> write -> read ..., like StreamReactor in
// src/server/id_service.cc (errors in error_code/error_message, stream stays
// open). Reused after the stream ends.
class StreamCall final : public CallData {
 public:
  StreamCall(v1::IdGenerator::AsyncService* service, grpc::ServerCompletionQueue* cq,
             const IdService* ids)
      : service_(service), cq_(cq), ids_(ids) {
    Listen();
  }

  void Proceed(bool ok) override {
    switch (state_) {
      case State::kRequested:
        if (!ok) return;  // server shutting down
        state_ = State::kReading;
        stream_->Read(&request_, this);
        return;
      case State::kReading:
        if (!ok) {  // client half-closed or the call was cancelled
          state_ = State::kFinishing;
          stream_->Finish(grpc::Status::OK, this);
          return;
        }
        response_.Clear();
        if (absl::Status s = ids_->Issue(request_, &response_); !s.ok()) {
          response_.Clear();
          response_.set_namespace_(request_.namespace_());
          response_.set_error_code(static_cast<int32_t>(s.code()));
          response_.set_error_message(std::string(s.message()));
        }
        state_ = State::kWriting;
        stream_->Write(response_, this);
        return;
      case State::kWriting:
        if (!ok) {
          state_ = State::kFinishing;
          stream_->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "stream write failed"), this);
          return;
        }
        state_ = State::kReading;
        stream_->Read(&request_, this);
        return;
      case State::kFinishing:
        Listen();
        return;
    }
  }

 private:
  enum class State { kRequested, kReading, kWriting, kFinishing };

  void Listen() {
    state_ = State::kRequested;
    stream_.reset();  // refers to the old context
    ctx_ = std::make_unique<grpc::ServerContext>();
    stream_ =
        std::make_unique<grpc::ServerAsyncReaderWriter<v1::NextIdsResponse, v1::NextIdsRequest>>(
            ctx_.get());
    service_->RequestStreamIds(ctx_.get(), stream_.get(), cq_, cq_, this);
  }

  v1::IdGenerator::AsyncService* const service_;
  grpc::ServerCompletionQueue* const cq_;
  const IdService* const ids_;
  std::unique_ptr<grpc::ServerContext> ctx_;
  std::unique_ptr<grpc::ServerAsyncReaderWriter<v1::NextIdsResponse, v1::NextIdsRequest>> stream_;
  v1::NextIdsRequest request_;
  v1::NextIdsResponse response_;
  State state_ = State::kRequested;
};

class CqServer {
 public:
  // `slots`: calls of each method kept requested per completion queue. A
  // StreamIds call holds its slot for the stream's life, so streams beyond
  // cqs * slots wait until one ends.
  CqServer(const IdService* ids, int cqs, int slots) : ids_(ids), cq_count_(cqs), slots_(slots) {}

  bool Start(grpc::ServerBuilder& builder) {
    builder.RegisterService(&service_);
    for (int i = 0; i < cq_count_; ++i) cqs_.push_back(builder.AddCompletionQueue());
    server_ = builder.BuildAndStart();
    if (server_ == nullptr) return false;
    const IdService* ids = ids_;
    auto next_ids = [ids](const v1::NextIdsRequest& req, v1::NextIdsResponse* resp) {
      return ToGrpc(ids->Issue(req, resp));
    };
    auto next_id = [ids](const v1::NextIdRequest& req, v1::NextIdResponse* resp) {
      return ToGrpc(ids->IssueOne(req, resp));
    };
    v1::IdGenerator::AsyncService* svc = &service_;
    auto request_next_ids = [svc](grpc::ServerContext* ctx, v1::NextIdsRequest* req,
                                  grpc::ServerAsyncResponseWriter<v1::NextIdsResponse>* w,
                                  grpc::ServerCompletionQueue* cq,
                                  void* tag) { svc->RequestNextIds(ctx, req, w, cq, cq, tag); };
    auto request_next_id = [svc](grpc::ServerContext* ctx, v1::NextIdRequest* req,
                                 grpc::ServerAsyncResponseWriter<v1::NextIdResponse>* w,
                                 grpc::ServerCompletionQueue* cq,
                                 void* tag) { svc->RequestNextId(ctx, req, w, cq, cq, tag); };
    using NextIdsCall = UnaryCall<v1::NextIdsRequest, v1::NextIdsResponse, decltype(next_ids),
                                  decltype(request_next_ids)>;
    using NextIdCall = UnaryCall<v1::NextIdRequest, v1::NextIdResponse, decltype(next_id),
                                 decltype(request_next_id)>;
    for (auto& cq : cqs_) {
      for (int i = 0; i < slots_; ++i) {
        calls_.push_back(std::make_unique<NextIdsCall>(cq.get(), next_ids, request_next_ids));
        calls_.push_back(std::make_unique<NextIdCall>(cq.get(), next_id, request_next_id));
        calls_.push_back(std::make_unique<StreamCall>(&service_, cq.get(), ids_));
      }
    }
    for (int i = 0; i < cq_count_; ++i) {
      states_.push_back(std::make_unique<ThreadState>());
      threads_.emplace_back([this, i] { Drain(cqs_[i].get(), states_[i].get()); });
    }
    return true;
  }

  void Stop() {
    for (auto& st : states_) {
      std::lock_guard<std::mutex> lock(st->mu);
      st->shutdown = true;
    }
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    for (auto& cq : cqs_) cq->Shutdown();
    for (auto& t : threads_) t.join();
    for (auto& cq : cqs_) {
      void* tag;
      bool ok;
      while (cq->Next(&tag, &ok)) {
      }
    }
    calls_.clear();
  }

 private:
  static void Drain(grpc::ServerCompletionQueue* cq, ThreadState* st) {
    void* tag;
    bool ok;
    while (cq->Next(&tag, &ok)) {
      std::lock_guard<std::mutex> lock(st->mu);
      if (st->shutdown) return;
      static_cast<CallData*>(tag)->Proceed(ok);
    }
  }

  const IdService* const ids_;
  const int cq_count_;
  const int slots_;
  v1::IdGenerator::AsyncService service_;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> cqs_;
  std::unique_ptr<grpc::Server> server_;
  std::vector<std::unique_ptr<CallData>> calls_;
  std::vector<std::unique_ptr<ThreadState>> states_;
  std::vector<std::thread> threads_;
};

// ---------------------------------------------------------------- sync mode

class SyncService final : public v1::IdGenerator::Service {
 public:
  explicit SyncService(const IdService* ids) : ids_(ids) {}

  grpc::Status NextIds(grpc::ServerContext* ctx, const v1::NextIdsRequest* request,
                       v1::NextIdsResponse* response) override {
    if (DeadlinePassed(*ctx)) {
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed");
    }
    return ToGrpc(ids_->Issue(*request, response));
  }

  grpc::Status NextId(grpc::ServerContext* ctx, const v1::NextIdRequest* request,
                      v1::NextIdResponse* response) override {
    if (DeadlinePassed(*ctx)) {
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed");
    }
    return ToGrpc(ids_->IssueOne(*request, response));
  }

  grpc::Status StreamIds(
      grpc::ServerContext* /*ctx*/,
      grpc::ServerReaderWriter<v1::NextIdsResponse, v1::NextIdsRequest>* stream) override {
    v1::NextIdsRequest request;
    v1::NextIdsResponse response;
    while (stream->Read(&request)) {
      response.Clear();
      if (absl::Status s = ids_->Issue(request, &response); !s.ok()) {
        response.Clear();
        response.set_namespace_(request.namespace_());
        response.set_error_code(static_cast<int32_t>(s.code()));
        response.set_error_message(std::string(s.message()));
      }
      if (!stream->Write(response)) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "stream write failed");
      }
    }
    return grpc::Status::OK;
  }

 private:
  const IdService* const ids_;
};

// -------------------------------------------------------------------- main

struct Flags {
  std::string api;
  int port = 0;
  int cqs = 1;
  int slots = 256;
  bool deadlock_detection = true;
};

[[noreturn]] void Usage(const char* msg) {
  if (msg != nullptr) std::cerr << "grpc_api_server: " << msg << "\n";
  std::cerr << "usage: grpc_api_server --api callback|cq|sync [--port N (0 = any free)]\n"
               "                       [--cqs N (cq mode, default 1)] [--slots N (cq mode:\n"
               "                       calls requested per method per queue, default 256)]\n"
               "                       [--no-deadlock-detection]\n";
  std::exit(2);
}

int ParseInt(const char* flag, const char* value, int min, int max) {
  char* end = nullptr;
  const long v = std::strtol(value, &end, 10);
  if (end == value || *end != '\0' || v < min || v > max) {
    Usage((std::string(flag) + ": expected an integer in " + std::to_string(min) + ".." +
           std::to_string(max))
              .c_str());
  }
  return static_cast<int>(v);
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) Usage((a + " needs a value").c_str());
      return argv[++i];
    };
    if (a == "--api") {
      f.api = value();
    } else if (a == "--port") {
      f.port = ParseInt("--port", value(), 0, 65535);
    } else if (a == "--cqs") {
      f.cqs = ParseInt("--cqs", value(), 1, 64);
    } else if (a == "--slots") {
      f.slots = ParseInt("--slots", value(), 1, 100000);
    } else if (a == "--no-deadlock-detection") {
      f.deadlock_detection = false;
    } else if (a == "-h" || a == "--help") {
      Usage(nullptr);
    } else {
      Usage(("unknown argument " + a).c_str());
    }
  }
  if (f.api != "callback" && f.api != "cq" && f.api != "sync") {
    Usage("--api must be callback, cq or sync");
  }
  return f;
}

int Main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  // `idgen serve` leaves Debian abseil's mutex deadlock detection on; so does
  // this server unless asked otherwise.
  if (!flags.deadlock_detection)
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Block the stop signals before any thread starts; main waits for them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  // The namespaces and reservation keeper as a node builds them (a
  // WorkerClaim), on an in-memory lease; a claim source that always lets the
  // node issue and an info filler that fills nothing.
  const server::ServerConfig config = server::DefaultServerConfig();
  absl::StatusOr<std::shared_ptr<server::WorkerClaim>> claim = server::WorkerClaim::Create(
      std::make_unique<InMemoryLease>(), config, nullptr, SystemClock::Get());
  if (!claim.ok()) {
    std::cerr << "grpc_api_server: " << claim.status() << "\n";
    return 1;
  }
  (*claim)->Start();
  std::shared_ptr<server::WorkerClaim> held = *claim;
  IdService ids(
      &config, [held]() -> absl::StatusOr<std::shared_ptr<server::WorkerClaim>> { return held; },
      [](v1::GetInfoResponse*) {});

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(flags.port),
                           grpc::InsecureServerCredentials(), &port);
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<SyncService> sync;
  std::unique_ptr<CqServer> cq;
  if (flags.api == "callback") {
    builder.RegisterService(&ids);
    server = builder.BuildAndStart();
  } else if (flags.api == "sync") {
    sync = std::make_unique<SyncService>(&ids);
    builder.RegisterService(sync.get());
    server = builder.BuildAndStart();
  } else {
    cq = std::make_unique<CqServer>(&ids, flags.cqs, flags.slots);
    if (!cq->Start(builder)) port = 0;
  }
  if ((server == nullptr && cq == nullptr) || port == 0) {
    std::cerr << "grpc_api_server: cannot listen on 127.0.0.1:" << flags.port << "\n";
    return 1;
  }
  std::cout << "listening on " << port << " api=" << flags.api;
  if (cq) std::cout << " cqs=" << flags.cqs << " slots=" << flags.slots;
  std::cout << std::endl;

  int sig = 0;
  sigwait(&stop, &sig);
  if (cq) {
    cq->Stop();
  } else {
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    server->Wait();
  }
  return 0;
}

}  // namespace
}  // namespace idgen::bench

int main(int argc, char** argv) { return idgen::bench::Main(argc, argv); }
