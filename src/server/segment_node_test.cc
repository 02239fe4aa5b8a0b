// Copyright idgen authors.
//
// A Node serving a segment namespace, in-process over real gRPC, on a
// scripted store: routing past the worker claim, GetInfo, Decode, the
// give-back at shutdown, and a missing store refused at Create.
#include <grpcpp/grpcpp.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "idgen/v1/idgen.grpc.pb.h"
#include "src/coord/file_lease_provider.h"
#include "src/segment/testing/scripted_segment_store.h"
#include "src/server/node.h"
#include "src/testing/temp_dir.h"

namespace idgen::server {
namespace {

using ::testing::HasSubstr;

NodeOptions SegmentOptions(segment::SegmentStore* store) {
  NodeOptions o;
  o.listen = "127.0.0.1:0";
  o.admin_listen = "127.0.0.1:0";
  o.node_name = "segment-test";
  NamespaceConfig orders;
  orders.name = "orders";
  orders.scheme = Scheme::kSegment;
  orders.segment.step = 10;
  orders.segment.max_step = 10;
  o.config.namespaces.push_back(orders);
  o.segment_stores["sqlite"] = store;
  return o;
}

TEST(SegmentNodeTest, ServesPastTheWorkerClaimAndGivesTheUnusedIdsBackOnShutdown) {
  idgen::testing::TempDir dir("idgen-segment-node-");
  auto leases = *coord::FileLeaseProvider::Create(dir.path());
  segment::testing::ScriptedSegmentStore store;
  auto node = Node::Create(SegmentOptions(&store), leases.get(), SystemClock::Get());
  ASSERT_TRUE(node.ok()) << node.status();
  ASSERT_TRUE((*node)->Start().ok());
  auto stub = v1::IdGenerator::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", (*node)->grpc_port()), grpc::InsecureChannelCredentials()));

  grpc::ClientContext ctx;
  v1::NextIdsRequest req;
  req.set_namespace_("orders");
  req.set_count(5);
  v1::NextIdsResponse resp;
  ASSERT_TRUE(stub->NextIds(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.scheme(), "segment");
  EXPECT_THAT(resp.ids(), ::testing::ElementsAre(1, 2, 3, 4, 5));

  grpc::ClientContext dctx;
  v1::DecodeRequest dreq;
  dreq.set_namespace_("orders");
  dreq.set_id(3);
  v1::DecodeResponse dresp;
  grpc::Status decoded = stub->Decode(&dctx, dreq, &dresp);
  EXPECT_EQ(decoded.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(decoded.error_message(), HasSubstr("carry no time"));

  v1::GetInfoResponse info;
  (*node)->FillInfo(&info);
  ASSERT_EQ(info.namespaces_size(), 4);  // default, uuidv7, ulid, orders: config order
  const v1::NamespaceInfo& ni = info.namespaces(3);
  EXPECT_EQ(ni.name(), "orders");
  EXPECT_EQ(ni.segment().store(), "scripted");
  EXPECT_EQ(ni.segment().next_id(), 6u);
  EXPECT_EQ(ni.segment().max_value(), (uint64_t{1} << 53) - 1);
  EXPECT_EQ(ni.segment().headroom_ids(), (uint64_t{1} << 53) - 6);  // 6 .. 2^53-1
  EXPECT_EQ(ni.segment().headroom_seconds(), -1) << "no rate after a few ms";

  (*node)->Shutdown(absl::Seconds(1));
  EXPECT_EQ(store.counter("orders"), 6u);  // 6.. unused, given back: no gap
}

TEST(SegmentNodeTest, ANamespaceOnAStoreTheNodeLacksIsRefusedNamingTheKey) {
  idgen::testing::TempDir dir("idgen-segment-node-");
  auto leases = *coord::FileLeaseProvider::Create(dir.path());
  segment::testing::ScriptedSegmentStore store;
  NodeOptions o = SegmentOptions(&store);
  o.config.namespaces.back().segment.store = "etcd";
  auto node = Node::Create(o, leases.get(), SystemClock::Get());
  EXPECT_EQ(node.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(node.status().message(), HasSubstr("namespaces[3].store"));
  EXPECT_THAT(node.status().message(), HasSubstr("--etcd"));
}

}  // namespace
}  // namespace idgen::server
