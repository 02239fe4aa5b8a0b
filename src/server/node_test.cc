// Copyright idgen authors.
//
// The Node in-process, over real gRPC on loopback port 0.
#include "src/server/node.h"

#include <unistd.h>

#include <atomic>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "idgen/layout.h"
#include "idgen/v1/idgen.grpc.pb.h"
#include "src/coord/file_lease_provider.h"
#include "src/testing/temp_dir.h"

namespace idgen::server {
namespace {

using ::testing::HasSubstr;

class NodeTest : public ::testing::Test {
 protected:
  ::idgen::testing::TempDir dir_{"idgen-node-test-"};  // first: destroyed last

  void SetUp() override {
    leases_ = *coord::FileLeaseProvider::Create(dir_.path());
    node_ = StartNode();
    ASSERT_NE(node_, nullptr);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", node_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::IdGenerator::NewStub(channel_);
  }
  void TearDown() override {
    if (node_) node_->Shutdown(absl::Seconds(1));
  }

  std::unique_ptr<Node> StartNode(std::optional<int64_t> worker = std::nullopt,
                                  int grpc_threads = 1) {
    NodeOptions o;
    o.grpc_threads = grpc_threads;
    o.listen = "127.0.0.1:0";
    o.admin_listen = "127.0.0.1:0";
    o.node_name = "test";
    o.worker_id = worker;
    o.config = DefaultServerConfig();
    o.config.namespaces[0].max_batch = 5000;
    auto n = Node::Create(o, leases_.get(), SystemClock::Get());
    EXPECT_TRUE(n.ok()) << n.status();
    if (!n.ok()) return nullptr;
    EXPECT_TRUE((*n)->Start().ok());
    return std::move(*n);
  }

  grpc::Status NextIds(const std::string& ns, uint32_t count, v1::NextIdsResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::NextIdsRequest req;
    req.set_namespace_(ns);
    req.set_count(count);
    return stub_->NextIds(&ctx, req, resp);
  }

  std::unique_ptr<coord::FileLeaseProvider> leases_;
  std::unique_ptr<Node> node_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::IdGenerator::Stub> stub_;
};

TEST_F(NodeTest, BatchesOfEverySizeAreUniqueAndIncreasing) {
  std::set<uint64_t> seen;
  uint64_t prev = 0;
  for (uint32_t count : {1u, 2u, 17u, 1000u, 4096u, 4097u, 5000u}) {
    v1::NextIdsResponse resp;
    ASSERT_TRUE(NextIds("", count, &resp).ok());
    ASSERT_EQ(resp.ids_size(), static_cast<int>(count));
    EXPECT_EQ(resp.namespace_(), "default");
    EXPECT_EQ(resp.scheme(), "snowflake");
    for (uint64_t id : resp.ids()) {
      ASSERT_GT(id, prev);
      prev = id;
      ASSERT_TRUE(seen.insert(id).second);
      ASSERT_EQ(Layout::Twitter().Decode(id).worker, static_cast<uint64_t>(node_->worker_id()));
    }
  }
}

TEST_F(NodeTest, BadInputGetsTheRightCodeAndTheNodeKeepsServing) {
  v1::NextIdsResponse resp;
  grpc::Status s = NextIds("default", 0, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("count must be at least 1"));
  s = NextIds("default", 5001, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("exceeds max_batch 5000"));
  s = NextIds("nope", 1, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("unknown namespace \"nope\""));
  {
    grpc::ClientContext ctx;
    v1::DecodeRequest req;
    req.set_id(~uint64_t{0});  // sign bit set: not a twitter-layout ID
    v1::DecodeResponse dresp;
    s = stub_->Decode(&ctx, req, &dresp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    grpc::ClientContext ctx;
    v1::DecodeRequest req;
    req.set_namespace_("uuidv7");
    req.set_id128("short");
    v1::DecodeResponse dresp;
    s = stub_->Decode(&ctx, req, &dresp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("must be 16 bytes"));
  }
  EXPECT_TRUE(NextIds("default", 3, &resp).ok());
}

TEST_F(NodeTest, DecodeRoundTripsAnIssuedId) {
  grpc::ClientContext ctx;
  v1::NextIdResponse one;
  ASSERT_TRUE(stub_->NextId(&ctx, v1::NextIdRequest(), &one).ok());
  grpc::ClientContext ctx2;
  v1::DecodeRequest req;
  req.set_id(one.id());
  v1::DecodeResponse d;
  ASSERT_TRUE(stub_->Decode(&ctx2, req, &d).ok());
  EXPECT_EQ(d.worker(), static_cast<uint64_t>(node_->worker_id()));
  EXPECT_NEAR(static_cast<double>(d.timestamp_ms()),
              static_cast<double>(absl::ToUnixMillis(absl::Now())), 5000.0);
}

TEST_F(NodeTest, UuidAndUlidNamespacesReturn16ByteIds) {
  for (const char* ns : {"uuidv7", "ulid"}) {
    v1::NextIdsResponse resp;
    ASSERT_TRUE(NextIds(ns, 10, &resp).ok()) << ns;
    ASSERT_EQ(resp.ids128_size(), 10);
    EXPECT_EQ(resp.ids_size(), 0);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(resp.ids128(i).size(), 16u);
    for (int i = 1; i < 10; ++i) EXPECT_LT(resp.ids128(i - 1), resp.ids128(i));
  }
}

TEST_F(NodeTest, StreamAnswersEachRequestAndSurvivesABadOne) {
  grpc::ClientContext ctx;
  auto stream = stub_->StreamIds(&ctx);
  uint64_t prev = 0;
  for (int i = 0; i < 100; ++i) {
    v1::NextIdsRequest req;
    req.set_count(i == 50 ? 0 : 1);
    ASSERT_TRUE(stream->Write(req));
    v1::NextIdsResponse resp;
    ASSERT_TRUE(stream->Read(&resp));
    if (i == 50) {
      EXPECT_EQ(resp.error_code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
      continue;
    }
    ASSERT_EQ(resp.ids_size(), 1);
    ASSERT_GT(resp.ids(0), prev);
    prev = resp.ids(0);
  }
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(NodeTest, InfoReportsWorkerLayoutAndReservation) {
  grpc::ClientContext ctx;
  v1::GetInfoResponse info;
  ASSERT_TRUE(stub_->GetInfo(&ctx, v1::GetInfoRequest(), &info).ok());
  EXPECT_EQ(info.node(), "test");
  EXPECT_EQ(info.worker_id(), node_->worker_id());
  EXPECT_TRUE(info.serving());
  EXPECT_GT(info.reserved_until_ms(), absl::ToUnixMillis(absl::Now()));
  EXPECT_EQ(info.lease().backend(), "file");
  ASSERT_EQ(info.namespaces_size(), 3);
  EXPECT_EQ(info.namespaces(0).layout().time_bits(), 41u);
  EXPECT_EQ(info.namespaces(0).clock().state(), "normal");
}

TEST_F(NodeTest, HealthIsServingThenNotServingOnShutdown) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  auto check = [&](const std::string& service) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    grpc::Status s = health->Check(&ctx, req, &resp);
    return s.ok() ? resp.status() : grpc::health::v1::HealthCheckResponse::UNKNOWN;
  };
  EXPECT_EQ(check(""), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(check("idgen.v1.IdGenerator"), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_TRUE(node_->Ready().ok());
  // Watch the overall status while the node shuts down: it must report
  // NOT_SERVING before the server goes away.
  grpc::ClientContext watch_ctx;
  grpc::health::v1::HealthCheckRequest watch_req;
  auto watch = health->Watch(&watch_ctx, watch_req);
  grpc::health::v1::HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  std::thread stopper([&] { node_->Shutdown(absl::Milliseconds(500)); });
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  watch_ctx.TryCancel();
  stopper.join();
  EXPECT_EQ(node_->Ready().code(), absl::StatusCode::kUnavailable);
  v1::NextIdsResponse resp;
  EXPECT_FALSE(NextIds("default", 1, &resp).ok());
  node_.reset();
}

TEST_F(NodeTest, CleanRestartServesAtOnceAndStaysAboveEverythingIssued) {
  v1::NextIdsResponse resp;
  ASSERT_TRUE(NextIds("default", 5000, &resp).ok());
  const uint64_t max_before = resp.ids(resp.ids_size() - 1);
  const int64_t worker = node_->worker_id();
  node_->Shutdown(absl::Milliseconds(200));
  node_.reset();
  node_ = StartNode(worker);
  ASSERT_NE(node_, nullptr);
  // The reservation was settled to what was issued, so the clock is not
  // "behind" it and the node is ready immediately.
  EXPECT_TRUE(node_->Ready().ok()) << node_->Ready();
  channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", node_->grpc_port()),
                                 grpc::InsecureChannelCredentials());
  stub_ = v1::IdGenerator::NewStub(channel_);
  ASSERT_TRUE(NextIds("default", 10, &resp).ok());
  EXPECT_GT(resp.ids(0), max_before);
}

TEST_F(NodeTest, SecondNodeOnTheSameStateDirGetsAnotherWorker) {
  auto second = StartNode();
  ASSERT_NE(second, nullptr);
  EXPECT_NE(second->worker_id(), node_->worker_id());
  second->Shutdown(absl::Milliseconds(100));
}

TEST_F(NodeTest, RequestedWorkerThatIsTakenFails) {
  NodeOptions o;
  o.listen = "127.0.0.1:0";
  o.admin_listen = "127.0.0.1:0";
  o.worker_id = node_->worker_id();
  auto n = Node::Create(o, leases_.get(), SystemClock::Get());
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), absl::StatusCode::kAlreadyExists);
}

// A lease provider over real file leases whose leases the test can fence, as
// an etcd lease fences itself when its keepalives fail.
class FenceableLeases final : public coord::LeaseProvider {
 public:
  explicit FenceableLeases(coord::LeaseProvider* inner) : inner_(inner) {}

  absl::StatusOr<std::unique_ptr<coord::WorkerLease>> Acquire(
      const coord::AcquireOptions& options) override {
    auto lease = inner_->Acquire(options);
    if (!lease.ok()) return lease.status();
    fenced_ = std::make_shared<std::atomic<bool>>(false);
    return std::unique_ptr<coord::WorkerLease>(new Lease(*std::move(lease), fenced_));
  }
  // Fences the lease handed out last.
  void FenceLast() { fenced_->store(true); }

 private:
  class Lease final : public coord::WorkerLease {
   public:
    Lease(std::unique_ptr<coord::WorkerLease> inner, std::shared_ptr<std::atomic<bool>> fenced)
        : inner_(std::move(inner)), fenced_(std::move(fenced)) {}
    int64_t worker_id() const override { return inner_->worker_id(); }
    int64_t floor_unix_ms() const override { return inner_->floor_unix_ms(); }
    absl::Status Reserve(int64_t unix_ms) override {
      if (!Held()) return absl::FailedPreconditionError("fenced by the test");
      return inner_->Reserve(unix_ms);
    }
    absl::Status Settle(int64_t unix_ms) override { return inner_->Settle(unix_ms); }
    int64_t reserved_unix_ms() const override { return inner_->reserved_unix_ms(); }
    bool Held() const override { return !fenced_->load() && inner_->Held(); }
    coord::LeaseStatus Status() const override {
      coord::LeaseStatus s = inner_->Status();
      if (fenced_->load()) {
        s.state = "fenced";
        s.detail = "fenced by the test";
      }
      return s;
    }
    absl::Status Release() override { return inner_->Release(); }

   private:
    std::unique_ptr<coord::WorkerLease> inner_;
    std::shared_ptr<std::atomic<bool>> fenced_;
  };

  coord::LeaseProvider* const inner_;
  std::shared_ptr<std::atomic<bool>> fenced_;
};

// Polls `ready` every 20 ms for up to `limit`.
bool Eventually(const std::function<bool()>& ready, absl::Duration limit) {
  const absl::Time end = absl::Now() + limit;
  while (absl::Now() < end) {
    if (ready()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return ready();
}

TEST_F(NodeTest, FencedNodeStopsIssuingThenClaimsAgainAndKeepsIncreasing) {
  node_->Shutdown(absl::Milliseconds(100));
  FenceableLeases fenceable(leases_.get());
  NodeOptions o;
  o.listen = "127.0.0.1:0";
  o.admin_listen = "127.0.0.1:0";
  o.claim_retry_min = absl::Milliseconds(10);
  auto created = Node::Create(o, &fenceable, SystemClock::Get());
  ASSERT_TRUE(created.ok()) << created.status();
  node_ = std::move(*created);
  ASSERT_TRUE(node_->Start().ok());
  stub_ = v1::IdGenerator::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", node_->grpc_port()), grpc::InsecureChannelCredentials()));

  v1::NextIdsResponse before;
  ASSERT_TRUE(NextIds("", 1000, &before).ok());
  fenceable.FenceLast();
  // At once: the gate asks the lease on every call.
  v1::NextIdsResponse fenced;
  grpc::Status s = NextIds("", 1, &fenced);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(s.error_message(), HasSubstr("worker id"));

  ASSERT_TRUE(Eventually([&] { return node_->Ready().ok(); }, absl::Seconds(10))) << node_->Ready();
  v1::NextIdsResponse after;
  ASSERT_TRUE(NextIds("", 1000, &after).ok());
  EXPECT_GT(after.ids(0), before.ids(999));
  v1::GetInfoResponse info;
  node_->FillInfo(&info);
  EXPECT_EQ(info.lease().claims(), 2);
  EXPECT_EQ(info.lease().losses(), 1);
}

TEST_F(NodeTest, NodeWaitsNotReadyWhileEveryIdIsTakenAndClaimsTheFreedOne) {
  // node_ holds one id of a space capped at one.
  NodeOptions o;
  o.listen = "127.0.0.1:0";
  o.admin_listen = "127.0.0.1:0";
  o.max_workers = 1;
  o.claim_retry_min = absl::Milliseconds(10);
  o.claim_retry_max = absl::Milliseconds(50);
  ASSERT_EQ(node_->worker_id(), 0);
  auto created = Node::Create(o, leases_.get(), SystemClock::Get());
  ASSERT_TRUE(created.ok()) << created.status();
  std::unique_ptr<Node> waiting = std::move(*created);
  ASSERT_TRUE(waiting->Start().ok());
  EXPECT_EQ(waiting->worker_id(), -1);
  absl::Status ready = waiting->Ready();
  EXPECT_EQ(ready.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(ready.message()), HasSubstr("held by live nodes"));
  auto stub = v1::IdGenerator::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", waiting->grpc_port()), grpc::InsecureChannelCredentials()));
  {
    grpc::ClientContext ctx;
    v1::NextIdsRequest req;
    req.set_count(1);
    v1::NextIdsResponse resp;
    EXPECT_EQ(stub->NextIds(&ctx, req, &resp).error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  v1::GetInfoResponse info;
  waiting->FillInfo(&info);
  EXPECT_EQ(info.lease().state(), "acquiring");
  EXPECT_GE(info.lease().exhausted_attempts(), 1);
  EXPECT_EQ(info.namespaces_size(), 3);  // from the config, even without a claim

  node_->Shutdown(absl::Milliseconds(100));  // frees id 0
  ASSERT_TRUE(Eventually([&] { return waiting->Ready().ok(); }, absl::Seconds(10)))
      << waiting->Ready();
  EXPECT_EQ(waiting->worker_id(), 0);
  grpc::ClientContext ctx;
  v1::NextIdsRequest req;
  req.set_count(10);
  v1::NextIdsResponse resp;
  EXPECT_TRUE(stub->NextIds(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.ids_size(), 10);
  waiting->Shutdown(absl::Milliseconds(100));
}

// More streams open at once than the server keeps calls requested for: each
// matched call requests the next, so none waits for another to end.
TEST_F(NodeTest, ManyStreamsOpenAtOnceAreAllServed) {
  constexpr int kStreams = 40;
  std::vector<std::unique_ptr<grpc::ClientContext>> ctxs;
  std::vector<std::unique_ptr<grpc::ClientReaderWriter<v1::NextIdsRequest, v1::NextIdsResponse>>>
      streams;
  for (int i = 0; i < kStreams; ++i) {
    ctxs.push_back(std::make_unique<grpc::ClientContext>());
    ctxs.back()->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    streams.push_back(stub_->StreamIds(ctxs.back().get()));
  }
  std::set<uint64_t> seen;
  v1::NextIdsRequest req;
  req.set_count(3);
  for (int round = 0; round < 2; ++round) {
    for (auto& stream : streams) {
      ASSERT_TRUE(stream->Write(req));
      v1::NextIdsResponse resp;
      ASSERT_TRUE(stream->Read(&resp));
      ASSERT_EQ(resp.error_code(), 0) << resp.error_message();
      ASSERT_EQ(resp.ids_size(), 3);
      for (uint64_t id : resp.ids()) EXPECT_TRUE(seen.insert(id).second);
    }
  }
  for (auto& stream : streams) {
    stream->WritesDone();
    EXPECT_TRUE(stream->Finish().ok());
  }
  EXPECT_EQ(seen.size(), 2u * 3u * kStreams);
}

TEST_F(NodeTest, HealthOfAnUnknownServiceIsNotFoundAndWatchSaysServiceUnknown) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::health::v1::HealthCheckRequest req;
  req.set_service("no.such.Service");
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status s = health->Check(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("no.such.Service"));

  grpc::ClientContext watch_ctx;
  watch_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  auto watch = health->Watch(&watch_ctx, req);
  ASSERT_TRUE(watch->Read(&resp));
  EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVICE_UNKNOWN);
  watch_ctx.TryCancel();
  (void)watch->Finish();
}

// A Watch left open does not hold a drain open: the node ends it after
// NOT_SERVING. A StreamIds stream left open is cancelled at the drain
// deadline, and Shutdown returns.
TEST_F(NodeTest, ShutdownEndsWatchesAndCancelsOpenStreamsAtTheDeadline) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext watch_ctx;
  grpc::health::v1::HealthCheckRequest req;
  auto watch = health->Watch(&watch_ctx, req);
  grpc::health::v1::HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));

  grpc::ClientContext stream_ctx;
  auto stream = stub_->StreamIds(&stream_ctx);
  v1::NextIdsRequest ids_req;
  ids_req.set_count(1);
  ASSERT_TRUE(stream->Write(ids_req));
  v1::NextIdsResponse ids_resp;
  ASSERT_TRUE(stream->Read(&ids_resp));

  const auto start = std::chrono::steady_clock::now();
  node_->Shutdown(absl::Milliseconds(300));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(5));  // a bound, not a speed claim
  while (watch->Read(&update)) {
  }
  EXPECT_EQ(update.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  EXPECT_TRUE(watch->Finish().ok());
  EXPECT_FALSE(stream->Read(&ids_resp));
  EXPECT_FALSE(stream->Finish().ok());
  node_.reset();
}

TEST_F(NodeTest, ReflectionListsTheServicesAndDescribesIdGenerator) {
  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  auto stream = reflection->ServerReflectionInfo(&ctx);
  grpc::reflection::v1alpha::ServerReflectionRequest req;
  req.set_list_services("");
  ASSERT_TRUE(stream->Write(req));
  grpc::reflection::v1alpha::ServerReflectionResponse resp;
  ASSERT_TRUE(stream->Read(&resp));
  std::set<std::string> names;
  for (const auto& svc : resp.list_services_response().service()) names.insert(svc.name());
  EXPECT_EQ(names, (std::set<std::string>{"idgen.v1.IdGenerator", "grpc.health.v1.Health",
                                          "grpc.reflection.v1alpha.ServerReflection"}));
  req.set_file_containing_symbol("idgen.v1.IdGenerator");
  ASSERT_TRUE(stream->Write(req));
  ASSERT_TRUE(stream->Read(&resp));
  ASSERT_GE(resp.file_descriptor_response().file_descriptor_proto_size(), 1);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(NodeTest, GrpcThreadsOutOfRangeAreRejectedAndSeveralServe) {
  NodeOptions o;
  o.listen = "127.0.0.1:0";
  o.admin_listen = "127.0.0.1:0";
  o.grpc_threads = 0;
  auto bad = Node::Create(o, leases_.get(), SystemClock::Get());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("gRPC threads"));

  std::unique_ptr<Node> multi = StartNode(std::nullopt, 3);
  ASSERT_NE(multi, nullptr);
  auto stub = v1::IdGenerator::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", multi->grpc_port()), grpc::InsecureChannelCredentials()));
  std::set<uint64_t> seen;
  for (int i = 0; i < 30; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::NextIdsRequest req;
    req.set_count(10);
    v1::NextIdsResponse resp;
    ASSERT_TRUE(stub->NextIds(&ctx, req, &resp).ok());
    for (uint64_t id : resp.ids()) EXPECT_TRUE(seen.insert(id).second);
  }
  EXPECT_EQ(seen.size(), 300u);
  multi->Shutdown(absl::Milliseconds(100));
}

}  // namespace
}  // namespace idgen::server
