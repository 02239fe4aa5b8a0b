// Copyright idgen authors.
//
// The Client over a FakeConnection: argument checks before any call, each
// form (sync, callback, future) and how errors arrive.
#include "idgen/client/client.h"

#include <gtest/gtest.h>

#include <memory>

#include "idgen/client/testing/fake_connection.h"

namespace idgen::client {
namespace {

using testing::FakeConnection;

TEST(ClientTest, EveryFormGetsIdsFromTheConnection) {
  auto fake = std::make_shared<FakeConnection>();
  Client client(fake);
  StatusOr<uint64_t> one = client.NextId("orders");
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(*one, 1u);
  StatusOr<std::vector<uint64_t>> three = client.NextIds("orders", 3);
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(*three, (std::vector<uint64_t>{2, 3, 4}));
  std::future<StatusOr<std::vector<uint64_t>>> f = client.NextIdsFuture("orders", 2);
  StatusOr<std::vector<uint64_t>> two = f.get();
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two, (std::vector<uint64_t>{5, 6}));
  bool called = false;
  client.NextIdsAsync("orders", 1, [&](StatusOr<std::vector<uint64_t>> ids) {
    called = true;
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(ids->front(), 7u);
  });
  EXPECT_TRUE(called);
  StatusOr<std::vector<Id128>> wide = client.NextIds128("events", 2);
  ASSERT_TRUE(wide.ok());
  EXPECT_EQ((*wide)[1][15], 9);
  StatusOr<NodeInfo> info = client.GetInfo();
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->serving);
  EXPECT_EQ(fake->calls(), 6);
}

TEST(ClientTest, EveryCallHasACallbackAndAFutureForm) {
  auto fake = std::make_shared<FakeConnection>();
  Client client(fake);
  StatusOr<uint64_t> one = client.NextIdFuture("orders").get();
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, 1u);
  StatusOr<std::vector<Id128>> wide = client.NextIds128Future("events", 1).get();
  ASSERT_TRUE(wide.ok());
  EXPECT_EQ((*wide)[0][15], 2);
  StatusOr<DecodedId> decoded = client.DecodeFuture("orders", 42).get();
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->sequence, 42u);
  StatusOr<NodeInfo> info = client.GetInfoFuture().get();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->node, "fake");
  int answered = 0;
  client.NextIdAsync("orders", [&](const StatusOr<uint64_t>& r) { answered += r.ok(); });
  client.NextIds128Async("events", 2,
                         [&](const StatusOr<std::vector<Id128>>& r) { answered += r.ok(); });
  client.DecodeAsync("orders", 7, [&](const StatusOr<DecodedId>& r) { answered += r.ok(); });
  client.GetInfoAsync([&](const StatusOr<NodeInfo>& r) { answered += r.ok(); });
  EXPECT_EQ(answered, 4);
  // Bad arguments: answered at once, without a call.
  const int64_t calls = fake->calls();
  EXPECT_EQ(client.NextIds128Future("events", 0).get().status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(client.NextIdFuture(std::string(200, 'x')).get().status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(fake->calls(), calls);
}

TEST(ClientTest, BadArgumentsAreRefusedWithoutACall) {
  auto fake = std::make_shared<FakeConnection>();
  Client client(fake);
  EXPECT_EQ(client.NextIds("orders", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(client.NextIds("orders", 1'000'001).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(client.NextIds128("orders", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(client.NextId(std::string(129, 'n')).status().code(), StatusCode::kInvalidArgument);
  StatusOr<std::vector<uint64_t>> async_bad = Status(StatusCode::kOk, "");
  client.NextIdsAsync("orders", 0,
                      [&](StatusOr<std::vector<uint64_t>> r) { async_bad = std::move(r); });
  EXPECT_EQ(async_bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(client.NextIds("orders", 0).status().message().find("count: 0 is not in 1..1000000"),
            std::string::npos);
  EXPECT_EQ(fake->calls(), 0);
}

TEST(ClientTest, TheConnectionsErrorsArriveUnchanged) {
  auto fake = std::make_shared<FakeConnection>();
  Client client(fake);
  fake->SetFailure({StatusCode::kUnavailable, "node down"});
  StatusOr<uint64_t> r = client.NextId();
  EXPECT_EQ(r.status(), Status(StatusCode::kUnavailable, "node down"));
  EXPECT_EQ(r.status().ToString(), "UNAVAILABLE: node down");
  EXPECT_EQ(client.NextIdsFuture("", 3).get().status().code(), StatusCode::kUnavailable);
  fake->SetFailure({});
  EXPECT_TRUE(client.NextId().ok());
  EXPECT_EQ(client.NextIds("", 20000).status().code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace idgen::client
