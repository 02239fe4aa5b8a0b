// Copyright idgen authors.
//
// grpc_api_server: a benchmark-only server for comparing gRPC's C++ server
// APIs on the idgen.v1.IdGenerator hot paths (NextId, NextIds, StreamIds).
// Every mode answers through the same IdNamespace and the same validation
// code (IdService::Find / IdService::Issue); only the gRPC plumbing differs.
//
//   --api callback  the callback API (written here; what `idgen serve` used
//                   before it moved to the completion-queue server)
//   --api cq        the project's real idgen::server::CqServer, as `idgen
//                   serve` runs it: --cqs N completion queues, one thread each
//   --api sync      the synchronous API on gRPC's default thread pool
//
// No health service, no reflection, no admin HTTP in any mode: they only add
// noise here (with the callback API their polling threads cost even more,
// see server/cq_server.h). Decode and GetInfo are not served in callback and
// sync modes; the benchmark does not call them.
//
// Prints "listening on PORT" once serving, then runs until SIGTERM/SIGINT.
// Run by bench/grpc_api_compare.mjs; figures are in docs/BENCHMARKS.md.
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
#include "src/server/cq_server.h"
#include "src/server/id_namespace.h"
#include "src/server/id_service.h"
#include "src/server/server_config.h"
#include "src/server/worker_claim.h"

namespace idgen::bench {
namespace {

using server::IdService;
using server::ToGrpc;

template <class Context>
bool DeadlinePassed(const Context& ctx) {
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

// ------------------------------------------------------------ callback mode

grpc::ServerUnaryReactor* FinishWith(grpc::CallbackServerContext* ctx, const grpc::Status& s) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(s);
  return reactor;
}

// One StreamIds call on the callback API: read, answer in-band, write, read.
class StreamReactor final
    : public grpc::ServerBidiReactor<v1::NextIdsRequest, v1::NextIdsResponse> {
 public:
  explicit StreamReactor(const IdService* ids) : ids_(ids) { StartRead(&request_); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    response_.Clear();
    ids_->Answer(request_, &response_);
    StartWrite(&response_);
  }
  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "stream write failed"));
      return;
    }
    StartRead(&request_);
  }
  void OnDone() override { delete this; }

 private:
  const IdService* const ids_;
  v1::NextIdsRequest request_;
  v1::NextIdsResponse response_;
};

// IdGenerator on the callback API, as `idgen serve` served it before it moved
// to server::CqServer. Decode and GetInfo are left unimplemented.
class CallbackService final : public v1::IdGenerator::CallbackService {
 public:
  explicit CallbackService(const IdService* ids) : ids_(ids) {}

  grpc::ServerUnaryReactor* NextIds(grpc::CallbackServerContext* ctx,
                                    const v1::NextIdsRequest* request,
                                    v1::NextIdsResponse* response) override {
    if (DeadlinePassed(*ctx)) {
      return FinishWith(ctx, grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed"));
    }
    return FinishWith(ctx, ToGrpc(ids_->Issue(*request, response)));
  }
  grpc::ServerUnaryReactor* NextId(grpc::CallbackServerContext* ctx,
                                   const v1::NextIdRequest* request,
                                   v1::NextIdResponse* response) override {
    if (DeadlinePassed(*ctx)) {
      return FinishWith(ctx, grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed"));
    }
    return FinishWith(ctx, ToGrpc(ids_->IssueOne(*request, response)));
  }
  grpc::ServerBidiReactor<v1::NextIdsRequest, v1::NextIdsResponse>* StreamIds(
      grpc::CallbackServerContext* /*ctx*/) override {
    return new StreamReactor(ids_);
  }

 private:
  const IdService* const ids_;
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
      ids_->Answer(request, &response);
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
  bool deadlock_detection = true;
};

[[noreturn]] void Usage(const char* msg) {
  if (msg != nullptr) std::cerr << "grpc_api_server: " << msg << "\n";
  std::cerr << "usage: grpc_api_server --api callback|cq|sync [--port N (0 = any free)]\n"
               "                       [--cqs N (cq mode, default 1)] [--no-deadlock-detection]\n";
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

  const std::string listen = "127.0.0.1:" + std::to_string(flags.port);
  int port = 0;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<CallbackService> callback;
  std::unique_ptr<SyncService> sync;
  std::unique_ptr<server::CqServer> cq;
  if (flags.api == "cq") {
    server::CqServerOptions options;
    options.listen = listen;
    options.threads = flags.cqs;
    absl::StatusOr<std::unique_ptr<server::CqServer>> started =
        server::CqServer::Start(std::move(options), server::CqServices{&ids});
    if (started.ok()) {
      cq = *std::move(started);
      port = cq->port();
    }
  } else {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
    if (flags.api == "callback") {
      callback = std::make_unique<CallbackService>(&ids);
      builder.RegisterService(callback.get());
    } else {
      sync = std::make_unique<SyncService>(&ids);
      builder.RegisterService(sync.get());
    }
    server = builder.BuildAndStart();
  }
  if ((server == nullptr && cq == nullptr) || port == 0) {
    std::cerr << "grpc_api_server: cannot listen on " << listen << "\n";
    return 1;
  }
  std::cout << "listening on " << port << " api=" << flags.api;
  if (cq) std::cout << " cqs=" << flags.cqs;
  std::cout << std::endl;

  int sig = 0;
  sigwait(&stop, &sig);
  if (cq) {
    cq->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  } else {
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    server->Wait();
  }
  return 0;
}

}  // namespace
}  // namespace idgen::bench

int main(int argc, char** argv) { return idgen::bench::Main(argc, argv); }
