// Copyright idgen authors.
#include "src/http/client.h"

#include <array>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/http/http_server.h"
#include "src/http/testing/raw_connection.h"

namespace idgen::http {
namespace {

using tcp = boost::asio::ip::tcp;

std::unique_ptr<HttpServer> StartEcho(const std::string& listen) {
  HttpServer::Options options;
  options.listen = listen;
  options.handler = testing::Echo;
  return testing::StartServer(std::move(options));
}

TEST(HttpClientTest, GetsFromIpv4Loopback) {
  auto server = StartEcho("127.0.0.1:0");
  ASSERT_NE(server, nullptr);
  absl::StatusOr<HttpReply> r =
      HttpClient().Get(absl::StrCat("http://127.0.0.1:", server->port(), "/echo?a=1"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "GET /echo\n[a]=[1]\n");
  EXPECT_EQ(r->Header("content-type"), "text/plain");
}

TEST(HttpClientTest, GetsFromBracketedIpv6Loopback) {
  auto server = StartEcho("[::1]:0");
  ASSERT_NE(server, nullptr);
  absl::StatusOr<HttpReply> r =
      HttpClient().Get(absl::StrCat("http://[::1]:", server->port(), "/x"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "GET /x\n");
}

TEST(HttpClientTest, ResolvesLocalhost) {
  auto server = StartEcho("127.0.0.1:0");
  ASSERT_NE(server, nullptr);
  absl::StatusOr<HttpReply> r = HttpClient().Get(absl::StrCat("http://localhost:", server->port()));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "GET /\n");
}

TEST(HttpClientTest, PostsBodyAndHeaders) {
  HttpServer::Options options;
  options.handler = [](const Request& req, Response& resp) {
    resp.content_type = "text/plain";
    resp.body = std::string(req.Header("Content-Type").value_or("-")) + " " +
                std::string(req.Header("X-Key").value_or("-")) + " " + req.body;
  };
  auto server = testing::StartServer(std::move(options));
  ASSERT_NE(server, nullptr);
  absl::StatusOr<HttpReply> r =
      HttpClient().Post(absl::StrCat("http://127.0.0.1:", server->port(), "/v1/traces"),
                        "application/x-protobuf", "payload", {{"X-Key", "k"}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "application/x-protobuf k payload");
}

TEST(HttpClientTest, DeadlineCoversAServerThatNeverAnswers) {
  // The kernel completes the connection; nobody ever reads or writes.
  boost::asio::io_context ioc;
  tcp::acceptor silent(ioc, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  HttpClient client({.timeout = absl::Milliseconds(200)});
  absl::StatusOr<HttpReply> r =
      client.Get(absl::StrCat("http://127.0.0.1:", silent.local_endpoint().port(), "/"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
}

TEST(HttpClientTest, RefusedConnectionIsUnavailable) {
  int port = 0;
  {
    boost::asio::io_context ioc;
    tcp::acceptor closed(ioc, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    port = closed.local_endpoint().port();
  }
  absl::StatusOr<HttpReply> r = HttpClient().Get(absl::StrCat("http://127.0.0.1:", port, "/"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
}

TEST(HttpClientTest, OversizeResponseIsRefused) {
  HttpServer::Options options;
  options.handler = [](const Request&, Response& resp) { resp.body = std::string(100000, 'x'); };
  auto server = testing::StartServer(std::move(options));
  ASSERT_NE(server, nullptr);
  HttpClient client({.max_response_bytes = 1000});
  absl::StatusOr<HttpReply> r = client.Get(absl::StrCat("http://127.0.0.1:", server->port()));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
}

TEST(HttpClientTest, OversizeBodyWithoutLengthIsRefused) {
  // A response whose body runs to the end of the connection, unannounced.
  boost::asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  std::thread server([&acceptor] {
    tcp::socket socket = acceptor.accept();
    std::array<char, 4096> request{};
    boost::system::error_code ec;
    socket.read_some(boost::asio::buffer(request), ec);
    const std::string response =
        "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + std::string(100000, 'x');
    boost::asio::write(socket, boost::asio::buffer(response), ec);
  });
  HttpClient client({.timeout = absl::Seconds(10), .max_response_bytes = 1000});
  absl::StatusOr<HttpReply> r =
      client.Get(absl::StrCat("http://127.0.0.1:", acceptor.local_endpoint().port(), "/"));
  server.join();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
}

TEST(HttpClientTest, AbandonStopsAWaitingRequest) {
  boost::asio::io_context ioc;
  tcp::acceptor silent(ioc, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  HttpClient client({.timeout = absl::Seconds(30)});
  absl::StatusOr<HttpReply> r =
      client.Send({.url = absl::StrCat("http://127.0.0.1:", silent.local_endpoint().port(), "/")},
                  [] { return true; });
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled) << r.status();
}

TEST(HttpClientTest, BadUrlsAreInvalid) {
  HttpClient client;
  EXPECT_EQ(client.Get("ftp://h:1/").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client.Get("http://:80/").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client.Get("http://h:99999/").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace idgen::http
