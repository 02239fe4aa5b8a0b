// Copyright idgen authors.
//
// The Node in-process, over real gRPC on loopback port 0.
#include "src/server/node.h"

#include <unistd.h>

#include <filesystem>
#include <set>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "idgen/layout.h"
#include "idgen/v1/idgen.grpc.pb.h"
#include "src/coord/file_lease_provider.h"

namespace idgen::server {
namespace {

using ::testing::HasSubstr;

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/idgen-node-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    leases_ = *coord::FileLeaseProvider::Create(dir_);
    node_ = StartNode();
    ASSERT_NE(node_, nullptr);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", node_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::IdGenerator::NewStub(channel_);
  }
  void TearDown() override {
    if (node_) node_->Shutdown(absl::Seconds(1));
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Node> StartNode(std::optional<int64_t> worker = std::nullopt) {
    NodeOptions o;
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

  std::string dir_;
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

}  // namespace
}  // namespace idgen::server
