// Copyright idgen authors.
//
// The gRPC Connection: `channels` channels to the target, each with the
// retry policy and load balancing in its service config (gRFC A6: only
// UNAVAILABLE retried), calls spread over them in turn. Calls run on gRPC's
// completion-queue API with `completion_threads` threads of our own (as
// `idgen bench` drives gRPC): gRPC 1.51's callback API cost about a fifth
// of the unary rate beside it.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "idgen/client/client.h"
#include "idgen/client/connection.h"
#include "idgen/v1/idgen.grpc.pb.h"
#include "src/security/tls_client_config.h"

namespace idgen::client {

namespace {

constexpr auto kMaxDeadline = std::chrono::hours(1);

Status FromGrpc(const grpc::Status& s) {
  return {static_cast<StatusCode>(s.error_code()), s.error_message()};
}

Status Invalid(const std::string& message) { return {StatusCode::kInvalidArgument, message}; }

std::string Seconds(std::chrono::milliseconds ms) {
  return absl::StrCat(static_cast<double>(ms.count()) / 1000.0, "s");
}

// The service config: load balancing, and the retry policy of every method.
std::string ServiceConfig(const ClientOptions& o) {
  std::string retry;
  if (o.max_attempts > 1) {
    retry =
        absl::StrCat(R"(,"retryPolicy":{"maxAttempts":)", o.max_attempts, R"(,"initialBackoff":")",
                     Seconds(o.initial_backoff), R"(","maxBackoff":")", Seconds(o.max_backoff),
                     R"(","backoffMultiplier":2,"retryableStatusCodes":["UNAVAILABLE"]})");
  }
  return absl::StrCat(R"({"loadBalancingConfig":[{")", o.load_balancing,
                      R"(":{}}],"methodConfig":[{"name":[{"service":"idgen.v1.IdGenerator"}])",
                      retry, "}]}");
}

Status CheckOptions(const ClientOptions& o) {
  if (o.target.empty()) return Invalid("target: empty (e.g. \"dns:///localhost:50051\")");
  if (o.load_balancing != "round_robin" && o.load_balancing != "pick_first") {
    return Invalid("load_balancing: \"" + o.load_balancing + "\" is not round_robin or pick_first");
  }
  if (o.deadline.count() <= 0 || o.deadline > kMaxDeadline) {
    return Invalid("deadline: " + std::to_string(o.deadline.count()) + " ms is not in 1 ms..1 h");
  }
  if (o.max_attempts < 1 || o.max_attempts > 5) {
    return Invalid("max_attempts: " + std::to_string(o.max_attempts) + " is not in 1..5");
  }
  if (o.initial_backoff.count() <= 0 || o.max_backoff < o.initial_backoff ||
      o.max_backoff > kMaxDeadline) {
    return Invalid("initial_backoff and max_backoff: need 0 < initial <= max <= 1 h");
  }
  if (o.keepalive_time.count() != 0 && o.keepalive_time < std::chrono::seconds(10)) {
    return Invalid("keepalive_time: " + std::to_string(o.keepalive_time.count()) +
                   " ms is under the nodes' 10 s minimum (0 turns keepalive off)");
  }
  if (o.channels < 1 || o.channels > 64) {
    return Invalid("channels: " + std::to_string(o.channels) + " is not in 1..64");
  }
  if (o.completion_threads < 1 || o.completion_threads > 64) {
    return Invalid("completion_threads: " + std::to_string(o.completion_threads) +
                   " is not in 1..64");
  }
  return {};
}

bool IsTokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
}

// Whether `token` can be sent as a bearer token (never quoted in errors).
bool IsBearerToken(const std::string& token) {
  if (token.empty()) return false;
  for (char c : token) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// The key from api_key or api_key_file, checked (never quoted in errors).
StatusOr<std::string> ResolveApiKey(const ClientOptions& o) {
  if (o.token_source && (!o.api_key.empty() || !o.api_key_file.empty())) {
    return Invalid("token_source and api_key/api_key_file: give one, not both");
  }
  std::string key = o.api_key;
  if (!o.api_key_file.empty()) {
    if (!key.empty()) return Invalid("api_key and api_key_file: give one, not both");
    std::ifstream in(o.api_key_file);
    if (!in || !std::getline(in, key)) {
      return Invalid("api_key_file: cannot read " + o.api_key_file);
    }
    const size_t first = key.find_first_not_of(" \t\r");
    const size_t last = key.find_last_not_of(" \t\r");
    key = first == std::string::npos ? std::string() : key.substr(first, last - first + 1);
    if (key.empty()) return Invalid("api_key_file: " + o.api_key_file + " holds no key");
  }
  if (!key.empty() && !IsBearerToken(key)) {
    return Invalid(std::string(o.api_key_file.empty() ? "api_key" : "api_key_file") +
                   ": not a bearer token (letters, digits and - . _ ~ + / =)");
  }
  return key;
}

security::TlsClientConfig TlsConfig(const TlsOptions& t) {
  security::TlsClientConfig c;
  c.ca_file = t.ca_file;
  c.cert_file = t.cert_file;
  c.key_file = t.key_file;
  c.server_name = t.server_name;
  c.check_key_permissions = t.check_key_permissions;
  return c;
}

// Waits for a callback form: `start(done)` begins it. The sync calls are
// made this way, on the connection's completion threads: with many calling
// threads about twice the rate of gRPC's blocking API, whose every call
// polls a completion queue of its own.
template <typename T, typename Start>
StatusOr<T> Wait(Start start) {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<StatusOr<T>> result;
  start([&](StatusOr<T> r) {
    std::lock_guard<std::mutex> lock(mu);
    result.emplace(std::move(r));
    cv.notify_one();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return result.has_value(); });
  return *std::move(result);
}

// What an answer becomes (plain values), or why it is refused.
StatusOr<uint64_t> FromResponse(v1::NextIdResponse& resp) {
  if (!resp.id128().empty()) {
    return Status(StatusCode::kFailedPrecondition, "namespace \"" + resp.namespace_() +
                                                       "\" has 128-bit IDs (" + resp.scheme() +
                                                       "): use NextIds128");
  }
  return resp.id();
}

StatusOr<IdBlock> FromResponse(v1::NextIdsResponse& resp) {
  IdBlock block;
  block.ns = resp.namespace_();
  block.scheme = resp.scheme();
  block.ids.assign(resp.ids().begin(), resp.ids().end());
  return block;
}

StatusOr<std::vector<Id128>> Ids128(v1::NextIdsResponse& resp) {
  if (resp.ids128_size() == 0 && resp.ids_size() > 0) {
    return Status(StatusCode::kFailedPrecondition, "namespace \"" + resp.namespace_() +
                                                       "\" has 64-bit IDs (" + resp.scheme() +
                                                       "): use NextIds");
  }
  std::vector<Id128> out;
  out.reserve(static_cast<size_t>(resp.ids128_size()));
  for (const std::string& bytes : resp.ids128()) {
    if (bytes.size() != 16) {
      return Status(StatusCode::kInternal,
                    "the node sent a 128-bit ID of " + std::to_string(bytes.size()) + " bytes");
    }
    Id128 id{};
    for (size_t i = 0; i < 16; ++i) id[i] = static_cast<uint8_t>(bytes[i]);
    out.push_back(id);
  }
  return out;
}

StatusOr<DecodedId> FromResponse(v1::DecodeResponse& resp) {
  DecodedId d;
  d.timestamp_ms = resp.timestamp_ms();
  d.worker = resp.worker();
  d.sequence = resp.sequence();
  d.tick = resp.tick();
  return d;
}

StatusOr<NodeInfo> FromResponse(v1::GetInfoResponse& resp) {
  NodeInfo info;
  info.node = resp.node();
  info.worker_id = resp.worker_id();
  info.worker_id_min = resp.worker_id_min();
  info.worker_id_max = resp.worker_id_max();
  info.serving = resp.serving();
  info.not_serving_reason = resp.not_serving_reason();
  info.version = resp.version();
  for (const v1::NamespaceInfo& n : resp.namespaces()) {
    info.namespaces.push_back({n.name(), n.scheme(), n.max_batch()});
  }
  return info;
}

// Completion queues, each with the thread that runs its completions (the
// way `idgen bench` drives gRPC). The threads hold the queues, so a queue
// outlives a thread that is still draining it.
class CompletionThreads {
 public:
  struct Tag {
    virtual ~Tag() = default;
    virtual void Complete() = 0;
  };

  explicit CompletionThreads(int n) {
    for (int i = 0; i < n; ++i) {
      auto q = std::make_shared<grpc::CompletionQueue>();
      queues_.push_back(q);
      threads_.emplace_back([this, q] {
        running_ = this;
        void* tag = nullptr;
        bool ok = false;
        // A unary call's Finish always completes (with its status when !ok).
        while (q->Next(&tag, &ok)) static_cast<Tag*>(tag)->Complete();
      });
    }
  }
  ~CompletionThreads() {
    for (auto& q : queues_) q->Shutdown();
    for (std::thread& t : threads_) {
      if (t.get_id() == std::this_thread::get_id()) {
        t.detach();  // destroyed from one of its own completions
      } else {
        t.join();
      }
    }
  }
  CompletionThreads(const CompletionThreads&) = delete;
  CompletionThreads& operator=(const CompletionThreads&) = delete;

  grpc::CompletionQueue* Next() {
    return queues_[next_.fetch_add(1, std::memory_order_relaxed) % queues_.size()].get();
  }

  // Whether the calling thread is one of these (inside a completion).
  bool OnOwnThread() const { return running_ == this; }

 private:
  static thread_local const CompletionThreads* running_;

  std::vector<std::shared_ptr<grpc::CompletionQueue>> queues_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> next_{0};
};

thread_local const CompletionThreads* CompletionThreads::running_ = nullptr;

class GrpcConnection final : public Connection {
 public:
  GrpcConnection(const ClientOptions& o, const std::string& api_key)
      : deadline_(o.deadline),
        authorization_(api_key.empty() ? "" : "Bearer " + api_key),
        token_source_(o.token_source),
        queues_(o.completion_threads) {
    const security::TlsClientConfig tls = TlsConfig(o.tls);
    for (int i = 0; i < o.channels; ++i) {
      grpc::ChannelArguments args;
      args.SetServiceConfigJSON(ServiceConfig(o));
      // Each channel its own connections, so `channels` spreads the calls.
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      if (o.keepalive_time.count() > 0) {
        args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(o.keepalive_time.count()));
        args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
      }
      // No retries: leave out gRPC's retry filter, which costs every call.
      if (o.max_attempts == 1) args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
      args.SetUserAgentPrefix(o.user_agent.empty() ? "idgen-client-cpp"
                                                   : o.user_agent + " idgen-client-cpp");
      security::ApplyServerName(tls, &args);
      stubs_.push_back(v1::IdGenerator::NewStub(
          grpc::CreateCustomChannel(o.target, security::GrpcChannelCredentials(tls), args)));
    }
  }

  StatusOr<uint64_t> NextId(const std::string& ns, const CallOptions& options) override {
    if (Status s = CheckNotInCallback(); !s.ok()) return s;
    return Wait<uint64_t>([&](auto done) { NextIdAsync(ns, options, std::move(done)); });
  }
  StatusOr<IdBlock> NextIds(const std::string& ns, uint32_t count,
                            const CallOptions& options) override {
    if (Status s = CheckNotInCallback(); !s.ok()) return s;
    return Wait<IdBlock>([&](auto done) { NextIdsAsync(ns, count, options, std::move(done)); });
  }
  StatusOr<std::vector<Id128>> NextIds128(const std::string& ns, uint32_t count,
                                          const CallOptions& options) override {
    if (Status s = CheckNotInCallback(); !s.ok()) return s;
    return Wait<std::vector<Id128>>(
        [&](auto done) { NextIds128Async(ns, count, options, std::move(done)); });
  }
  StatusOr<DecodedId> Decode(const std::string& ns, uint64_t id,
                             const CallOptions& options) override {
    if (Status s = CheckNotInCallback(); !s.ok()) return s;
    return Wait<DecodedId>([&](auto done) { DecodeAsync(ns, id, options, std::move(done)); });
  }
  StatusOr<NodeInfo> GetInfo(const CallOptions& options) override {
    if (Status s = CheckNotInCallback(); !s.ok()) return s;
    return Wait<NodeInfo>([&](auto done) { GetInfoAsync(options, std::move(done)); });
  }

  void NextIdAsync(const std::string& ns, const CallOptions& options,
                   std::function<void(StatusOr<uint64_t>)> done) override {
    v1::NextIdRequest req;
    req.set_namespace_(ns);
    Call<uint64_t, v1::NextIdResponse>(
        std::move(req), options,
        [](auto* stub, auto* ctx, const auto& rq, auto* cq) {
          return stub->AsyncNextId(ctx, rq, cq);
        },
        [](v1::NextIdResponse& r) { return FromResponse(r); }, std::move(done));
  }
  void NextIdsAsync(const std::string& ns, uint32_t count, const CallOptions& options,
                    std::function<void(StatusOr<IdBlock>)> done) override {
    Call<IdBlock, v1::NextIdsResponse>(
        IdsRequest(ns, count), options,
        [](auto* stub, auto* ctx, const auto& rq, auto* cq) {
          return stub->AsyncNextIds(ctx, rq, cq);
        },
        [](v1::NextIdsResponse& r) { return FromResponse(r); }, std::move(done));
  }
  void NextIds128Async(const std::string& ns, uint32_t count, const CallOptions& options,
                       std::function<void(StatusOr<std::vector<Id128>>)> done) override {
    Call<std::vector<Id128>, v1::NextIdsResponse>(
        IdsRequest(ns, count), options,
        [](auto* stub, auto* ctx, const auto& rq, auto* cq) {
          return stub->AsyncNextIds(ctx, rq, cq);
        },
        [](v1::NextIdsResponse& r) { return Ids128(r); }, std::move(done));
  }
  void DecodeAsync(const std::string& ns, uint64_t id, const CallOptions& options,
                   std::function<void(StatusOr<DecodedId>)> done) override {
    v1::DecodeRequest req;
    req.set_namespace_(ns);
    req.set_id(id);
    Call<DecodedId, v1::DecodeResponse>(
        std::move(req), options,
        [](auto* stub, auto* ctx, const auto& rq, auto* cq) {
          return stub->AsyncDecode(ctx, rq, cq);
        },
        [](v1::DecodeResponse& r) { return FromResponse(r); }, std::move(done));
  }
  void GetInfoAsync(const CallOptions& options,
                    std::function<void(StatusOr<NodeInfo>)> done) override {
    Call<NodeInfo, v1::GetInfoResponse>(
        v1::GetInfoRequest(), options,
        [](auto* stub, auto* ctx, const auto& rq, auto* cq) {
          return stub->AsyncGetInfo(ctx, rq, cq);
        },
        [](v1::GetInfoResponse& r) { return FromResponse(r); }, std::move(done));
  }

 private:
  static v1::NextIdsRequest IdsRequest(const std::string& ns, uint32_t count) {
    v1::NextIdsRequest req;
    req.set_namespace_(ns);
    req.set_count(count);
    return req;
  }

  // One call on a completion queue: `start(stub, ctx, req, cq)` begins it;
  // `convert` turns the answer into T; `done` gets the result on the
  // queue's thread. The call's state goes first: once `done` has run, the
  // caller may destroy the connection, and a context must not outlive its
  // channel.
  template <typename T, typename Resp, typename Req, typename Start, typename Convert>
  void Call(Req req, const CallOptions& options, Start start, Convert convert,
            std::function<void(StatusOr<T>)> done) {
    struct State final : CompletionThreads::Tag {
      grpc::ClientContext ctx;
      Req req;
      Resp resp;
      grpc::Status status;
      std::unique_ptr<grpc::ClientAsyncResponseReader<Resp>> reader;
      Convert convert;
      std::function<void(StatusOr<T>)> done;

      State(Convert c, std::function<void(StatusOr<T>)> d)
          : convert(std::move(c)), done(std::move(d)) {}
      void Complete() override {
        StatusOr<T> result = status.ok() ? convert(resp) : StatusOr<T>(FromGrpc(status));
        std::function<void(StatusOr<T>)> d = std::move(done);
        delete this;
        d(std::move(result));
      }
    };
    auto state = std::make_unique<State>(std::move(convert), std::move(done));
    if (Status s = SetDeadline(state->ctx, options); !s.ok()) {
      state->done(StatusOr<T>(std::move(s)));
      return;
    }
    state->req = std::move(req);
    state->reader = start(&Stub(), &state->ctx, state->req, queues_.Next());
    State* raw = state.release();  // deleted by Complete
    raw->reader->Finish(&raw->resp, &raw->status, raw);
  }

  // A blocking call from a callback of this connection would wait for a
  // completion its own thread has to run: refused instead of a deadlock.
  Status CheckNotInCallback() const {
    if (!queues_.OnOwnThread()) return Status();
    return {StatusCode::kFailedPrecondition,
            "a blocking call from inside a callback of the same client would wait for itself; "
            "use the ...Async form there"};
  }

  // The call's deadline and credential; INVALID_ARGUMENT for a token from
  // token_source that cannot be sent.
  Status SetDeadline(grpc::ClientContext& ctx, const CallOptions& options) const {
    const std::chrono::milliseconds d = options.deadline.count() > 0 ? options.deadline : deadline_;
    ctx.set_deadline(std::chrono::system_clock::now() + d);
    if (token_source_) {
      const std::string token = token_source_();
      if (!IsBearerToken(token)) {
        return Invalid("token_source: not a bearer token (letters, digits and - . _ ~ + / =)");
      }
      ctx.AddMetadata("authorization", "Bearer " + token);
    } else if (!authorization_.empty()) {
      ctx.AddMetadata("authorization", authorization_);
    }
    return Status();
  }

  v1::IdGenerator::Stub& Stub() {
    const size_t i = next_.fetch_add(1, std::memory_order_relaxed) % stubs_.size();
    return *stubs_[i];
  }

  const std::chrono::milliseconds deadline_;
  const std::string authorization_;                  // "Bearer <key>" or ""
  const std::function<std::string()> token_source_;  // or null
  std::vector<std::unique_ptr<v1::IdGenerator::Stub>> stubs_;
  std::atomic<size_t> next_{0};
  // Last: destroyed first, so every call has completed before the stubs
  // and channels go.
  CompletionThreads queues_;
};

}  // namespace

StatusOr<std::shared_ptr<Connection>> MakeGrpcConnection(const ClientOptions& options) {
  if (Status s = CheckOptions(options); !s.ok()) return s;
  absl::Status tls = security::CheckTlsClientConfig(TlsConfig(options.tls), absl::Now(), "tls.");
  if (!tls.ok()) {
    // The check names flags ("tls.ca"); here they are fields of TlsOptions.
    std::string message(tls.message());
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"tls.ca", "tls.ca_file"},
                                   {"tls.cert", "tls.cert_file"},
                                   {"tls.key", "tls.key_file"},
                                   {"tls.server-name", "tls.server_name"}}) {
      for (size_t at = message.find(from); at != std::string::npos;
           at = message.find(from, at + to.size())) {
        const char after = at + from.size() < message.size() ? message[at + from.size()] : ' ';
        if (after == '_') continue;  // already renamed
        message.replace(at, from.size(), to);
      }
    }
    return Invalid(message);
  }
  StatusOr<std::string> api_key = ResolveApiKey(options);
  if (!api_key.ok()) return api_key.status();
  return std::shared_ptr<Connection>(std::make_shared<GrpcConnection>(options, *api_key));
}

// Here rather than in client.cc, so that the rest of the library builds
// without gRPC (the sanitizer builds test it that way).
StatusOr<Client> Client::Create(const ClientOptions& options) {
  StatusOr<std::shared_ptr<Connection>> connection = MakeGrpcConnection(options);
  if (!connection.ok()) return connection.status();
  return Client(*std::move(connection));
}

}  // namespace idgen::client
