// Copyright idgen authors.
#include "src/coord/etcd_client.h"

#include <grpcpp/grpcpp.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "src/base/status_macros.h"
#include "src/config/endpoint.h"

namespace idgen::coord {

namespace pb = ::etcdserverpb;

struct EtcdClient::Endpoint {
  std::string url;  // as configured, for messages
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pb::KV::Stub> kv;
  std::unique_ptr<pb::Lease::Stub> lease;
  std::unique_ptr<pb::Auth::Stub> auth;
};

namespace {

// gRPC wants "host:port"; "" when `url` is not http(s)://HOST:PORT[/] or
// HOST:PORT.
std::string GrpcTarget(const std::string& url) {
  absl::StatusOr<config::Endpoint> e = config::ParseEndpoint(url, {.require_port = true});
  if (!e.ok() || e->scheme == config::Scheme::kUnix || (!e->path.empty() && e->path != "/")) {
    return "";
  }
  return e->HostPort();
}

bool IsHttps(const std::string& url) { return absl::StartsWith(url, "https://"); }

// Whether a TCP connection to the endpoint's host and port succeeds within
// `timeout` (then it is closed at once). Tells "nothing listens" from "the
// TLS session failed" when gRPC only says that a read failed.
bool TcpConnects(const std::string& url, absl::Duration timeout) {
  absl::StatusOr<config::Endpoint> e = config::ParseEndpoint(url, {.require_port = true});
  if (!e.ok()) return false;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(e->host.c_str(), std::to_string(e->port).c_str(), &hints, &found) != 0) {
    return false;
  }
  bool connected = false;
  for (addrinfo* ai = found; ai != nullptr && !connected; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      connected = true;
    } else if (errno == EINPROGRESS) {
      pollfd p{.fd = fd, .events = POLLOUT, .revents = 0};
      int err = 0;
      socklen_t len = sizeof(err);
      connected = ::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) == 1 &&
                  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return connected;
}

// etcd's answers that mean "authenticate again" (etcd's Go client renews on
// the same two): the token expired or is unknown to this member, or the
// auth store changed since it was issued.
bool TokenRejected(const grpc::Status& s) {
  return (s.error_code() == grpc::StatusCode::UNAUTHENTICATED &&
          absl::StrContains(s.error_message(), "invalid auth token")) ||
         (s.error_code() == grpc::StatusCode::INVALID_ARGUMENT &&
          absl::StrContains(s.error_message(), "revision of auth store is old"));
}

grpc::Status ToGrpc(const absl::Status& s) {
  return {static_cast<grpc::StatusCode>(s.code()), std::string(s.message())};
}

bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

EtcdKeyValue FromProto(const mvccpb::KeyValue& kv) {
  return {.key = kv.key(),
          .value = kv.value(),
          .create_revision = kv.create_revision(),
          .mod_revision = kv.mod_revision(),
          .version = kv.version(),
          .lease = kv.lease()};
}

std::vector<EtcdKeyValue> FromProto(const pb::RangeResponse& r) {
  std::vector<EtcdKeyValue> out;
  out.reserve(static_cast<size_t>(r.kvs_size()));
  for (const auto& kv : r.kvs()) out.push_back(FromProto(kv));
  return out;
}

void ToProto(const EtcdCompare& c, pb::Compare* out) {
  out->set_key(c.key);
  switch (c.result) {
    case EtcdCompare::Result::kEqual:
      out->set_result(pb::Compare::EQUAL);
      break;
    case EtcdCompare::Result::kGreater:
      out->set_result(pb::Compare::GREATER);
      break;
    case EtcdCompare::Result::kLess:
      out->set_result(pb::Compare::LESS);
      break;
    case EtcdCompare::Result::kNotEqual:
      out->set_result(pb::Compare::NOT_EQUAL);
      break;
  }
  switch (c.target) {
    case EtcdCompare::Target::kVersion:
      out->set_target(pb::Compare::VERSION);
      out->set_version(c.number);
      break;
    case EtcdCompare::Target::kCreateRevision:
      out->set_target(pb::Compare::CREATE);
      out->set_create_revision(c.number);
      break;
    case EtcdCompare::Target::kModRevision:
      out->set_target(pb::Compare::MOD);
      out->set_mod_revision(c.number);
      break;
    case EtcdCompare::Target::kValue:
      out->set_target(pb::Compare::VALUE);
      out->set_value(c.value);
      break;
    case EtcdCompare::Target::kLease:
      out->set_target(pb::Compare::LEASE);
      out->set_lease(c.number);
      break;
  }
}

void ToProto(const EtcdOp& op, pb::RequestOp* out) {
  switch (op.kind) {
    case EtcdOp::Kind::kGet:
      out->mutable_request_range()->set_key(op.key);
      break;
    case EtcdOp::Kind::kPut: {
      pb::PutRequest* put = out->mutable_request_put();
      put->set_key(op.key);
      put->set_value(op.value);
      put->set_lease(op.lease);
      break;
    }
    case EtcdOp::Kind::kDelete:
      out->mutable_request_delete_range()->set_key(op.key);
      break;
  }
}

}  // namespace

EtcdCompare EtcdCompare::CreateRevision(std::string key, int64_t rev, Result result) {
  return {
      .key = std::move(key), .target = Target::kCreateRevision, .result = result, .number = rev};
}
EtcdCompare EtcdCompare::ModRevision(std::string key, int64_t rev, Result result) {
  return {.key = std::move(key), .target = Target::kModRevision, .result = result, .number = rev};
}
EtcdCompare EtcdCompare::Lease(std::string key, int64_t lease_id, Result result) {
  return {.key = std::move(key), .target = Target::kLease, .result = result, .number = lease_id};
}
EtcdCompare EtcdCompare::Value(std::string key, std::string value, Result result) {
  return {
      .key = std::move(key), .target = Target::kValue, .result = result, .value = std::move(value)};
}

EtcdOp EtcdOp::Get(std::string key) { return {.kind = Kind::kGet, .key = std::move(key)}; }
EtcdOp EtcdOp::Put(std::string key, std::string value, int64_t lease) {
  return {.kind = Kind::kPut, .key = std::move(key), .value = std::move(value), .lease = lease};
}
EtcdOp EtcdOp::Delete(std::string key) { return {.kind = Kind::kDelete, .key = std::move(key)}; }

EtcdClient::EtcdClient(std::vector<std::string> endpoints, Options options)
    : endpoints_(std::move(endpoints)), options_([&options] {
        if (options.clock == nullptr) options.clock = SystemClock::Get();
        return std::move(options);
      }()) {
  grpc::ChannelArguments args;
  // Reconnect quickly once etcd is back: gRPC's default backoff grows to 120 s.
  // (Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: it is also the connect timeout,
  // and a short one aborts connects that nobody happens to be polling.)
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // No client keepalive pings: etcd answers pings more often than every 5 s
  // with GOAWAY; per-call deadlines detect a hung server instead.
  for (const std::string& url : endpoints_) {
    auto ep = std::make_unique<Endpoint>();
    ep->url = url;
    ep->channel = grpc::CreateCustomChannel(GrpcTarget(url),
                                            security::GrpcChannelCredentials(options_.tls), args);
    ep->kv = pb::KV::NewStub(ep->channel);
    ep->lease = pb::Lease::NewStub(ep->channel);
    ep->auth = pb::Auth::NewStub(ep->channel);
    stubs_.push_back(std::move(ep));
  }
  if (!options_.user.empty()) {
    tokens_ = std::make_unique<EtcdTokenCache>([this] { return Authenticate(); });
  }
  connector_ = std::thread([this] { ConnectorLoop(); });
}

EtcdClient::~EtcdClient() {
  stopping_.store(true);
  connector_.join();
}

// gRPC 1.51's client only makes progress on a connection attempt while some
// thread polls for it (a call in flight, or a state watch); its backup poller
// runs every 5 s. Calls that fail fast on a channel in TRANSIENT_FAILURE poll
// nothing, so after an outage the channel could stay down for 5-10 s with
// etcd long back. This loop always watches each channel's state for a short
// while, which drives its reconnects; it also asks idle channels to connect,
// so failover finds a connection ready.
void EtcdClient::ConnectorLoop() {
  const auto turn = std::chrono::milliseconds(100);
  while (!stopping_.load()) {
    for (const auto& ep : stubs_) {
      if (stopping_.load()) return;
      const grpc_connectivity_state state = ep->channel->GetState(/*try_to_connect=*/true);
      ep->channel->WaitForStateChange(state, std::chrono::system_clock::now() + turn);
    }
  }
}

absl::StatusOr<std::unique_ptr<EtcdClient>> EtcdClient::Create(std::vector<std::string> endpoints,
                                                               Options options) {
  if (endpoints.empty()) {
    return absl::InvalidArgumentError("no etcd endpoints given; pass --etcd URL[,URL...]");
  }
  for (const std::string& url : endpoints) {
    if (GrpcTarget(url).empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("etcd endpoint \"", url,
                       "\": expected http://HOST:PORT, https://HOST:PORT or HOST:PORT"));
    }
    if (IsHttps(url) != IsHttps(endpoints.front())) {
      return absl::InvalidArgumentError(
          absl::StrCat("etcd endpoints ", endpoints.front(), " and ", url,
                       " mix https:// and plaintext; give every endpoint the same scheme"));
    }
  }
  const bool https = IsHttps(endpoints.front());
  if (https && !options.tls.enabled()) {
    return absl::InvalidArgumentError(
        absl::StrCat("etcd endpoint ", endpoints.front(),
                     " is https://: pass --etcd-cacert with the CA etcd's certificate chains to"));
  }
  if (!https &&
      (options.tls.enabled() || !options.tls.cert_file.empty() || !options.tls.key_file.empty())) {
    return absl::InvalidArgumentError(
        absl::StrCat("--etcd-cacert, --etcd-cert and --etcd-key apply to https:// etcd endpoints; ",
                     endpoints.front(), " is plaintext (use https://HOST:PORT)"));
  }
  if (options.user.empty() && !options.password.empty()) {
    return absl::InvalidArgumentError("an etcd password was given without --etcd-user");
  }
  const absl::Duration dial_timeout = options.dial_timeout;
  std::unique_ptr<EtcdClient> client(new EtcdClient(std::move(endpoints), std::move(options)));
  if (dial_timeout <= absl::ZeroDuration()) return client;

  // Take the first endpoint (in list order) that connects. Short turns per
  // endpoint, because a connect only progresses while someone waits on it and
  // a black-holed endpoint must not eat the whole budget.
  Clock* const clock = client->options_.clock;
  const absl::Duration deadline = clock->MonotonicNow() + dial_timeout;
  bool connected = false;
  while (!connected && clock->MonotonicNow() < deadline) {
    for (size_t i = 0; i < client->stubs_.size(); ++i) {
      const absl::Duration turn =
          std::min(deadline - clock->MonotonicNow(), absl::Milliseconds(100));
      // gRPC waits until a point of real wall time.
      if (client->stubs_[i]->channel->WaitForConnected(
              std::chrono::system_clock::now() +
              std::chrono::duration_cast<std::chrono::system_clock::duration>(
                  absl::ToChronoNanoseconds(turn)))) {
        client->current_.store(i);
        connected = true;
        break;
      }
    }
  }
  if (!connected) return client->DialFailure(dial_timeout);
  if (client->tokens_ != nullptr) {
    absl::StatusOr<std::string> token = client->tokens_->Get();
    if (!token.ok()) return token.status();
  }
  return client;
}

absl::Status EtcdClient::DialFailure(absl::Duration dial_timeout) {
  const std::string all = absl::StrJoin(endpoints_, ", ");
  if (!IsHttps(endpoints_.front())) {
    return absl::UnavailableError(absl::StrCat("no etcd endpoint reachable within ",
                                               absl::FormatDuration(dial_timeout), " (", all,
                                               "); is etcd running and listening there?"));
  }
  // gRPC keeps why a connection failed; one call per endpoint brings it out
  // (it fails at once on a channel that is not connected). When etcd
  // refuses the client certificate, gRPC says only that a read failed: a
  // TCP connection that works tells that apart from "nothing listens".
  std::vector<std::string> reasons;
  bool tls_problem = false;
  for (const auto& ep : stubs_) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    pb::RangeRequest req;
    req.set_key("/");
    pb::RangeResponse resp;
    const grpc::Status s = ep->kv->Range(&ctx, req, &resp);
    std::string why = s.ok() ? std::string("answered late") : s.error_message();
    const std::string lower = absl::AsciiStrToLower(why);
    bool tls = false;
    for (const char* word : {"ssl", "tls", "handshake", "certificate"}) {
      if (absl::StrContains(lower, word)) tls = true;
    }
    if (!tls && TcpConnects(ep->url, absl::Milliseconds(500))) {
      tls = true;
      absl::StrAppend(&why,
                      "; it accepts TCP connections, so the TLS session failed: likely etcd "
                      "refused the client certificate (none given, or not from a CA in etcd's "
                      "--trusted-ca-file)");
    }
    tls_problem = tls_problem || tls;
    reasons.push_back(absl::StrCat(ep->url, ": ", why));
  }
  if (!tls_problem) {
    return absl::UnavailableError(
        absl::StrCat("no etcd endpoint reachable within ", absl::FormatDuration(dial_timeout), " (",
                     absl::StrJoin(reasons, "; "), "); is etcd running and listening there?"));
  }
  return absl::UnavailableError(absl::StrCat(
      "TLS problem with etcd: no endpoint completed a TLS connection within ",
      absl::FormatDuration(dial_timeout), " (", absl::StrJoin(reasons, "; "),
      "); check that --etcd-cacert is the CA of etcd's certificate and that this certificate "
      "names the host dialed, and that --etcd-cert/--etcd-key are a client certificate etcd "
      "trusts"));
}

std::string EtcdClient::current_endpoint() const { return endpoints_[current_.load()]; }

int64_t EtcdClient::authentications() const {
  return tokens_ == nullptr ? 0 : tokens_->authentications();
}

absl::StatusOr<std::string> EtcdClient::Authenticate() {
  pb::AuthenticateRequest req;
  req.set_name(options_.user);
  req.set_password(options_.password);
  pb::AuthenticateResponse resp;
  absl::Status s = CallWithFailover(
      absl::StrCat("Authenticate as user \"", options_.user, "\""),
      [&](Endpoint& ep, grpc::ClientContext& ctx) {
        return ep.auth->Authenticate(&ctx, req, &resp);
      },
      /*send_token=*/false);
  if (s.ok()) return resp.token();
  // etcd without authentication enabled issues no token and needs none (as
  // etcd's own client does, carry on without one).
  if (s.code() == absl::StatusCode::kFailedPrecondition &&
      absl::StrContains(s.message(), "authentication is not enabled")) {
    return std::string();
  }
  if (s.code() == absl::StatusCode::kInvalidArgument &&
      absl::StrContains(s.message(), "authentication failed")) {
    return absl::UnauthenticatedError(
        absl::StrCat("etcd refused user \"", options_.user, "\": wrong user name or password (",
                     s.message(), "); check IDGEN_ETCD_PASSWORD or --etcd-password-file"));
  }
  return s;
}

std::string EtcdClient::PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    auto& c = reinterpret_cast<unsigned char&>(end.back());
    if (c < 0xff) {
      ++c;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

template <typename Fn>
absl::Status EtcdClient::CallWithFailover(const std::string& what, Fn&& attempt, bool send_token) {
  if (!options_.observe_call) {
    return CallWithFailoverOnce(what, std::forward<Fn>(attempt), send_token);
  }
  const absl::Duration start = options_.clock->MonotonicNow();
  absl::Status s = CallWithFailoverOnce(what, std::forward<Fn>(attempt), send_token);
  options_.observe_call(std::string_view(what).substr(0, what.find(' ')),
                        options_.clock->MonotonicNow() - start, s.ok());
  return s;
}

template <typename Fn>
absl::Status EtcdClient::CallWithFailoverOnce(const std::string& what, Fn&& attempt,
                                              bool send_token) {
  const size_t n = stubs_.size();
  const size_t start = current_.load();
  std::vector<std::string> failures;
  grpc::StatusCode last = grpc::StatusCode::UNKNOWN;
  for (size_t i = 0; i < n; ++i) {
    const size_t idx = (start + i) % n;
    const grpc::Status s = Attempt(*stubs_[idx], attempt, send_token);
    if (s.ok()) {
      if (idx != start) current_.store(idx);
      return absl::OkStatus();
    }
    last = s.error_code();
    failures.push_back(
        absl::StrCat(stubs_[idx]->url, ": ", CodeName(last), " (", s.error_message(), ")"));
    if (!Retryable(last)) break;
  }
  return absl::Status(static_cast<absl::StatusCode>(last),
                      absl::StrCat("etcd ", what, " failed: ", absl::StrJoin(failures, "; ")));
}

template <typename Fn>
grpc::Status EtcdClient::Attempt(Endpoint& ep, Fn& attempt, bool send_token) {
  std::string token;
  if (send_token && tokens_ != nullptr) {
    absl::StatusOr<std::string> t = tokens_->Get();
    if (!t.ok()) return ToGrpc(t.status());
    token = *std::move(t);
  }
  for (int round = 0;; ++round) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     absl::ToChronoMilliseconds(options_.call_timeout));
    if (!token.empty()) ctx.AddMetadata("token", token);
    grpc::Status s = attempt(ep, ctx);
    if (round > 0 || !send_token || tokens_ == nullptr || !TokenRejected(s)) return s;
    absl::StatusOr<std::string> fresh = tokens_->Renew(token);
    if (!fresh.ok()) return ToGrpc(fresh.status());
    token = *std::move(fresh);
  }
}

absl::StatusOr<std::vector<EtcdKeyValue>> EtcdClient::Range(const std::string& key,
                                                            const std::string& range_end,
                                                            bool keys_only) {
  pb::RangeRequest req;
  req.set_key(key);
  req.set_range_end(range_end);
  req.set_keys_only(keys_only);
  pb::RangeResponse resp;
  absl::Status s = CallWithFailover(
      absl::StrCat("Range ", key),
      [&](Endpoint& ep, grpc::ClientContext& ctx) { return ep.kv->Range(&ctx, req, &resp); });
  if (!s.ok()) return s;
  return FromProto(resp);
}

absl::StatusOr<std::optional<EtcdKeyValue>> EtcdClient::Get(const std::string& key) {
  IDGEN_ASSIGN_OR_RETURN(std::vector<EtcdKeyValue> kvs, Range(key));
  if (kvs.empty()) return std::optional<EtcdKeyValue>();
  return std::optional<EtcdKeyValue>(std::move(kvs.front()));
}

absl::StatusOr<int64_t> EtcdClient::Put(const std::string& key, const std::string& value,
                                        int64_t lease) {
  pb::PutRequest req;
  req.set_key(key);
  req.set_value(value);
  req.set_lease(lease);
  pb::PutResponse resp;
  absl::Status s = CallWithFailover(
      absl::StrCat("Put ", key),
      [&](Endpoint& ep, grpc::ClientContext& ctx) { return ep.kv->Put(&ctx, req, &resp); });
  if (!s.ok()) return s;
  return resp.header().revision();
}

absl::StatusOr<int64_t> EtcdClient::Delete(const std::string& key) {
  pb::DeleteRangeRequest req;
  req.set_key(key);
  pb::DeleteRangeResponse resp;
  absl::Status s = CallWithFailover(
      absl::StrCat("DeleteRange ", key),
      [&](Endpoint& ep, grpc::ClientContext& ctx) { return ep.kv->DeleteRange(&ctx, req, &resp); });
  if (!s.ok()) return s;
  return resp.deleted();
}

absl::StatusOr<EtcdTxnResult> EtcdClient::Txn(const std::vector<EtcdCompare>& compares,
                                              const std::vector<EtcdOp>& success,
                                              const std::vector<EtcdOp>& failure) {
  pb::TxnRequest req;
  for (const EtcdCompare& c : compares) ToProto(c, req.add_compare());
  for (const EtcdOp& op : success) ToProto(op, req.add_success());
  for (const EtcdOp& op : failure) ToProto(op, req.add_failure());
  pb::TxnResponse resp;
  const std::string what =
      absl::StrCat("Txn on ", compares.empty() ? std::string("(no compare)") : compares[0].key);
  absl::Status s = CallWithFailover(
      what, [&](Endpoint& ep, grpc::ClientContext& ctx) { return ep.kv->Txn(&ctx, req, &resp); });
  if (!s.ok()) return s;
  EtcdTxnResult result;
  result.succeeded = resp.succeeded();
  result.revision = resp.header().revision();
  for (const pb::ResponseOp& op : resp.responses()) {
    result.responses.push_back(op.has_response_range() ? FromProto(op.response_range())
                                                       : std::vector<EtcdKeyValue>());
  }
  return result;
}

absl::StatusOr<EtcdLeaseGrant> EtcdClient::LeaseGrant(int64_t ttl_seconds) {
  pb::LeaseGrantRequest req;
  req.set_ttl(ttl_seconds);
  pb::LeaseGrantResponse resp;
  absl::Status s = CallWithFailover(absl::StrCat("LeaseGrant ttl=", ttl_seconds, "s"),
                                    [&](Endpoint& ep, grpc::ClientContext& ctx) {
                                      return ep.lease->LeaseGrant(&ctx, req, &resp);
                                    });
  if (!s.ok()) return s;
  if (!resp.error().empty() || resp.id() == 0) {
    return absl::InternalError(absl::StrCat(
        "etcd LeaseGrant on ", current_endpoint(),
        " returned no lease: ", resp.error().empty() ? std::string("id 0") : resp.error()));
  }
  return EtcdLeaseGrant{.id = resp.id(), .ttl_seconds = resp.ttl()};
}

absl::Status EtcdClient::LeaseRevoke(int64_t lease_id) {
  pb::LeaseRevokeRequest req;
  req.set_id(lease_id);
  pb::LeaseRevokeResponse resp;
  return CallWithFailover(absl::StrCat("LeaseRevoke ", lease_id),
                          [&](Endpoint& ep, grpc::ClientContext& ctx) {
                            return ep.lease->LeaseRevoke(&ctx, req, &resp);
                          });
}

absl::StatusOr<int64_t> EtcdClient::LeaseTimeToLive(int64_t lease_id) {
  pb::LeaseTimeToLiveRequest req;
  req.set_id(lease_id);
  pb::LeaseTimeToLiveResponse resp;
  absl::Status s = CallWithFailover(absl::StrCat("LeaseTimeToLive ", lease_id),
                                    [&](Endpoint& ep, grpc::ClientContext& ctx) {
                                      return ep.lease->LeaseTimeToLive(&ctx, req, &resp);
                                    });
  if (!s.ok()) return s;
  return resp.ttl();
}

absl::StatusOr<int64_t> EtcdClient::KeepAliveOnce(int64_t lease_id) {
  pb::LeaseKeepAliveRequest req;
  req.set_id(lease_id);
  pb::LeaseKeepAliveResponse resp;
  absl::Status s = CallWithFailover(
      absl::StrCat("LeaseKeepAlive ", lease_id), [&](Endpoint& ep, grpc::ClientContext& ctx) {
        auto stream = ep.lease->LeaseKeepAlive(&ctx);
        const bool sent = stream->Write(req);
        const bool got = sent && stream->Read(&resp);
        // Half-close: etcd ends the stream when it sees the end of requests.
        stream->WritesDone();
        grpc::Status st = stream->Finish();
        if (got) return grpc::Status::OK;  // the renewal happened, whatever the close
        if (st.ok()) {
          st = grpc::Status(grpc::StatusCode::UNAVAILABLE, "stream closed before a response");
        }
        return st;
      });
  if (!s.ok()) return s;
  return resp.ttl();
}

}  // namespace idgen::coord
