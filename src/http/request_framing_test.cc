// Copyright idgen authors.
//
// How HttpServer frames requests (RequestParser's checks, Connection's
// handling of empty lines): strict Transfer-Encoding and Host rules, so that a
// body is never read as a request, and tolerance of empty lines before a
// request line.
#include <atomic>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/http/http_server.h"
#include "src/http/testing/raw_connection.h"

namespace idgen::http {
namespace {

using idgen::http::testing::Get;
using idgen::http::testing::RawConnection;
using idgen::http::testing::StartServer;
using ::testing::HasSubstr;

// A request hidden in a body: a server that mis-frames the body answers it.
constexpr std::string_view kHidden = "GET /hidden HTTP/1.1\r\nHost: t\r\n\r\n";

// Counts requests for /hidden, answers everything else with its path.
struct Recorder {
  std::atomic<int> hidden{0};
  Handler handler() {
    return [this](const Request& req, Response& resp) {
      if (req.path == "/hidden") ++hidden;
      resp.content_type = "text/plain";
      resp.body = req.method + " " + req.path;
    };
  }
};

// A POST to /x with the given header lines and `kHidden` as its body.
std::string Smuggle(std::string_view headers) {
  return "POST /x HTTP/1.1\r\nHost: t\r\n" + std::string(headers) + "\r\n" + std::string(kHidden);
}

TEST(RequestFramingTest, UnknownTransferCodingGets501AndClose) {
  Recorder rec;
  auto server = StartServer(rec.handler());
  ASSERT_NE(server, nullptr);
  for (const char* te : {"xchunked", "identity", "gzip, chunked", "gzip"}) {
    RawConnection client(server->port());
    auto resp = client.RoundTrip(Smuggle("Transfer-Encoding: " + std::string(te) + "\r\n"));
    ASSERT_TRUE(resp.has_value()) << te;
    EXPECT_EQ(resp->result_int(), 501) << te;
    EXPECT_THAT(resp->body(), HasSubstr("only chunked")) << te;
    EXPECT_FALSE(resp->keep_alive()) << te;
    EXPECT_TRUE(client.SeesClose()) << te;
  }
  EXPECT_EQ(rec.hidden.load(), 0);
}

TEST(RequestFramingTest, ChunkedNotFinalGets400AndClose) {
  Recorder rec;
  auto server = StartServer(rec.handler());
  ASSERT_NE(server, nullptr);
  for (const char* te : {"chunked, identity", "chunked, gzip", "chunked, chunked"}) {
    RawConnection client(server->port());
    auto resp = client.RoundTrip(Smuggle("Transfer-Encoding: " + std::string(te) + "\r\n"));
    ASSERT_TRUE(resp.has_value()) << te;
    EXPECT_EQ(resp->result_int(), 400) << te;
    EXPECT_THAT(resp->body(), HasSubstr("final")) << te;
    EXPECT_TRUE(client.SeesClose()) << te;
  }
  EXPECT_EQ(rec.hidden.load(), 0);
}

TEST(RequestFramingTest, TransferEncodingWithContentLengthGets400AndClose) {
  Recorder rec;
  auto server = StartServer(rec.handler());
  ASSERT_NE(server, nullptr);
  const std::string length = "Content-Length: " + std::to_string(kHidden.size()) + "\r\n";
  for (const std::string& headers :
       {"Transfer-Encoding: chunked\r\n" + length, length + "Transfer-Encoding: chunked\r\n",
        "Transfer-Encoding: gzip\r\n" + length, length + "Transfer-Encoding: xchunked\r\n"}) {
    RawConnection client(server->port());
    auto resp = client.RoundTrip(Smuggle(headers));
    ASSERT_TRUE(resp.has_value()) << headers;
    EXPECT_EQ(resp->result_int(), 400) << headers;
    EXPECT_TRUE(client.SeesClose()) << headers;
  }
  EXPECT_EQ(rec.hidden.load(), 0);
}

TEST(RequestFramingTest, EmptyTransferEncodingGets400) {
  auto server = StartServer(Recorder().handler());
  ASSERT_NE(server, nullptr);
  for (const char* te : {"", ",", " , "}) {
    RawConnection client(server->port());
    auto resp = client.RoundTrip(Smuggle("Transfer-Encoding: " + std::string(te) + "\r\n"));
    ASSERT_TRUE(resp.has_value()) << "[" << te << "]";
    EXPECT_EQ(resp->result_int(), 400) << "[" << te << "]";
    EXPECT_TRUE(client.SeesClose()) << "[" << te << "]";
  }
}

TEST(RequestFramingTest, ChunkedStillWorks) {
  auto server = StartServer([](const Request& req, Response& resp) { resp.body = req.body; });
  ASSERT_NE(server, nullptr);
  RawConnection client(server->port());
  auto resp = client.RoundTrip(
      "POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->result_int(), 200);
  EXPECT_EQ(resp->body(), "abc");
  EXPECT_TRUE(resp->keep_alive());
}

TEST(RequestFramingTest, Http11WithoutHostGets400) {
  auto server = StartServer(Recorder().handler());
  ASSERT_NE(server, nullptr);
  RawConnection client(server->port());
  auto resp = client.RoundTrip("GET /x HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->result_int(), 400);
  EXPECT_THAT(resp->body(), HasSubstr("Host"));
  EXPECT_TRUE(client.SeesClose());
}

TEST(RequestFramingTest, TwoHostHeadersGet400) {
  auto server = StartServer(Recorder().handler());
  ASSERT_NE(server, nullptr);
  for (const char* version : {"1.1", "1.0"}) {
    RawConnection client(server->port());
    auto resp =
        client.RoundTrip("GET /x HTTP/" + std::string(version) + "\r\nHost: a\r\nhost: b\r\n\r\n");
    ASSERT_TRUE(resp.has_value()) << version;
    EXPECT_EQ(resp->result_int(), 400) << version;
    EXPECT_THAT(resp->body(), HasSubstr("Host")) << version;
  }
}

TEST(RequestFramingTest, Http10WithoutHostIsServed) {
  auto server = StartServer(Recorder().handler());
  ASSERT_NE(server, nullptr);
  RawConnection client(server->port());
  auto resp = client.RoundTrip("GET /x HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->result_int(), 200);
  EXPECT_EQ(resp->body(), "GET /x");
}

TEST(RequestFramingTest, EmptyLinesBeforeRequestLineAreIgnored) {
  auto server = StartServer(Recorder().handler());
  ASSERT_NE(server, nullptr);
  RawConnection client(server->port());
  auto first = client.RoundTrip("\r\n" + Get("/one"));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->result_int(), 200);
  EXPECT_EQ(first->body(), "GET /one");
  // On a keep-alive connection too, in pieces: the empty lines, then the request.
  ASSERT_TRUE(client.Send("\r\n\r\n"));
  ASSERT_TRUE(client.Send("\r"));
  auto second = client.RoundTrip("\n\r\n" + Get("/two"));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->result_int(), 200);
  EXPECT_EQ(second->body(), "GET /two");
}

TEST(RequestFramingTest, TooManyEmptyLinesGet400) {
  auto server = StartServer(Recorder().handler());
  ASSERT_NE(server, nullptr);
  RawConnection client(server->port());
  std::string raw;
  for (int i = 0; i < 5; ++i) raw += "\r\n";
  auto resp = client.RoundTrip(raw + Get("/x"));
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->result_int(), 400);
}

}  // namespace
}  // namespace idgen::http
