// Copyright idgen authors.
//
// HttpServer's connection cap (Options::max_connections): a connection
// beyond it closes the longest-idle one, never one with a request in
// progress.
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "src/http/http_server.h"
#include "src/http/testing/raw_connection.h"

namespace idgen::http {
namespace {

using idgen::http::testing::Echo;
using idgen::http::testing::Get;
using idgen::http::testing::RawConnection;
using idgen::http::testing::StartServer;

TEST(ConnectionCapTest, ConnectionBeyondCapClosesTheLongestIdle) {
  HttpServer::Options options;
  options.handler = Echo;
  options.max_connections = 3;
  auto server = StartServer(std::move(options));
  ASSERT_NE(server, nullptr);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 3; ++i) {
    idle.push_back(std::make_unique<RawConnection>(server->port()));
    auto resp = idle.back()->RoundTrip(Get("/" + std::to_string(i)));
    ASSERT_TRUE(resp.has_value()) << i;
    EXPECT_EQ(resp->result_int(), 200) << i;
  }
  RawConnection fresh(server->port());
  auto resp = fresh.RoundTrip(Get("/fresh"));
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->body(), "GET /fresh\n");
  EXPECT_TRUE(idle[0]->SeesClose());
  EXPECT_EQ(server->rejected(RejectReason::kEvicted), 1u);
  for (int i = 1; i < 3; ++i) {
    auto again = idle[i]->RoundTrip(Get("/again"));
    ASSERT_TRUE(again.has_value()) << i;
    EXPECT_EQ(again->result_int(), 200) << i;
  }
}

TEST(ConnectionCapTest, BusyConnectionsAreKeptAndNewOneIsRefused) {
  std::promise<Done> held;
  HttpServer::Options options;
  options.max_connections = 1;
  options.async_handler = [&held](const Request& req, Response& resp, Done done) {
    resp.body = req.path;
    if (req.path == "/hold") return held.set_value(std::move(done));
    done();
  };
  auto server = StartServer(std::move(options));
  ASSERT_NE(server, nullptr);
  RawConnection busy(server->port());
  ASSERT_TRUE(busy.Send(Get("/hold")));
  std::future<Done> in_handler = held.get_future();
  ASSERT_EQ(in_handler.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  Done done = in_handler.get();

  RawConnection refused(server->port());
  ASSERT_TRUE(refused.connected());
  EXPECT_TRUE(refused.SeesClose());
  EXPECT_EQ(server->rejected(RejectReason::kConnectionLimit), 1u);

  done();
  auto resp = busy.Read();
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->body(), "/hold");
}

}  // namespace
}  // namespace idgen::http
