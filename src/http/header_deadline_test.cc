// Copyright idgen authors.
//
// HttpServer's request deadlines (Options::header_timeout against slowloris,
// idle_timeout between keep-alive requests) and its rejection counters.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "src/http/http_server.h"
#include "src/http/testing/raw_connection.h"

namespace idgen::http {
namespace {

using idgen::http::testing::Echo;
using idgen::http::testing::Get;
using idgen::http::testing::RawConnection;
using idgen::http::testing::StartServer;

TEST(HeaderDeadlineTest, HeaderSentOneByteAtATimeIsCutOffAtTheDeadline) {
  HttpServer::Options options;
  options.handler = Echo;
  options.header_timeout = absl::Milliseconds(300);
  options.idle_timeout = absl::Seconds(60);
  auto server = StartServer(std::move(options));
  ASSERT_NE(server, nullptr);
  RawConnection slow(server->port());
  ASSERT_TRUE(slow.Send("GET / HTTP/1.1\r\nHost: a\r\n"));
  // One byte every 50 ms for at most 5 s: far longer than the deadline.
  int sent = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < end && slow.Send("x")) {
    ++sent;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (server->rejected(RejectReason::kHeaderTimeout) == 1) break;
  }
  EXPECT_EQ(server->rejected(RejectReason::kHeaderTimeout), 1u);
  EXPECT_LT(sent, 100);
  EXPECT_TRUE(slow.SeesClose());
}

TEST(HeaderDeadlineTest, KeepAliveWaitIsUnderTheIdleTimeoutNotTheHeaderDeadline) {
  HttpServer::Options options;
  options.handler = Echo;
  options.header_timeout = absl::Milliseconds(200);
  options.idle_timeout = absl::Seconds(30);
  auto server = StartServer(std::move(options));
  ASSERT_NE(server, nullptr);
  RawConnection conn(server->port());
  auto first = conn.RoundTrip(Get("/one"));
  ASSERT_TRUE(first.has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  auto second = conn.RoundTrip(Get("/two"));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->body(), "GET /two\n");
  EXPECT_EQ(server->rejected(RejectReason::kHeaderTimeout), 0u);
}

TEST(HeaderDeadlineTest, OversizedHeaderAndBodyAreCountedByReason) {
  HttpServer::Options options;
  options.handler = Echo;
  options.max_body_bytes = 16;
  auto server = StartServer(std::move(options));
  ASSERT_NE(server, nullptr);
  RawConnection big_header(server->port());
  auto r431 = big_header.RoundTrip(Get("/", "X-Big: " + std::string(9 * 1024, 'a') + "\r\n"));
  ASSERT_TRUE(r431.has_value());
  EXPECT_EQ(r431->result_int(), 431);
  RawConnection big_body(server->port());
  auto r413 = big_body.RoundTrip("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 32\r\n\r\n" +
                                 std::string(32, 'b'));
  ASSERT_TRUE(r413.has_value());
  EXPECT_EQ(r413->result_int(), 413);
  RawConnection garbage(server->port());
  auto r400 = garbage.RoundTrip("NOT HTTP\r\n\r\n");
  ASSERT_TRUE(r400.has_value());
  EXPECT_EQ(r400->result_int(), 400);
  EXPECT_EQ(server->rejected(RejectReason::kHeaderTooLarge), 1u);
  EXPECT_EQ(server->rejected(RejectReason::kBodyTooLarge), 1u);
  EXPECT_EQ(server->rejected(RejectReason::kMalformed), 1u);
  EXPECT_EQ(RejectReasonName(RejectReason::kConnectionLimit), "connection_limit");
}

}  // namespace
}  // namespace idgen::http
