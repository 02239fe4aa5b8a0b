// Copyright idgen authors.
#include "src/http/http_server.h"

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/http/client.h"
#include "src/http/router.h"
#include "src/http/testing/raw_connection.h"

namespace idgen::http {
namespace {

using idgen::http::testing::Echo;
using idgen::http::testing::Get;
using idgen::http::testing::HeaderOf;
using idgen::http::testing::Post;
using idgen::http::testing::RawConnection;
using idgen::http::testing::StartServer;
using idgen::http::testing::UrlOf;
using ::testing::HasSubstr;

TEST(HttpServerTest, GetDecodesQueryParameters) {
  auto server = StartServer(Echo);
  ASSERT_NE(server, nullptr);
  absl::StatusOr<HttpReply> resp =
      HttpClient().Get(UrlOf(*server, "/echo?a=1&b=x%20y&&c=%E2%9C%93&d+e=f+g&flag&e=%2B"));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body,
            "GET /echo\n[a]=[1]\n[b]=[x y]\n[c]=[\xE2\x9C\x93]\n[d e]=[f g]\n[flag]=[]\n[e]=[+]\n");
  EXPECT_EQ(resp->Header("Content-Type"), "text/plain");
  EXPECT_FALSE(resp->Header("Date").empty());
}

TEST(HttpServerTest, PathStaysPercentEncoded) {
  auto server = StartServer(Echo);
  ASSERT_NE(server, nullptr);
  absl::StatusOr<HttpReply> resp = HttpClient().Get(UrlOf(*server, "/a%2Fb/c"));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->body, "GET /a%2Fb/c\n");
}

TEST(HttpServerTest, BadEscapeInQueryGets400) {
  auto server = StartServer(Echo);
  ASSERT_NE(server, nullptr);
  absl::StatusOr<HttpReply> resp = HttpClient().Get(UrlOf(*server, "/echo?a=%zz"));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 400);
  EXPECT_THAT(resp->body, HasSubstr("percent-encoding"));
}

TEST(HttpServerTest, PostDeliversBodyAndHeaders) {
  std::string seen_header;
  auto server = StartServer([&seen_header](const Request& req, Response& resp) {
    seen_header = std::string(req.Header("x-custom").value_or("missing"));
    resp.status = 201;
    resp.body = req.body;
    resp.headers.emplace_back("X-Reply", "yes");
  });
  ASSERT_NE(server, nullptr);
  absl::StatusOr<HttpReply> resp = HttpClient().Send({.method = "POST",
                                                      .url = UrlOf(*server, "/ids"),
                                                      .headers = {{"X-Custom", "hello"}},
                                                      .body = "{\"count\": 10}"});
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 201);
  EXPECT_EQ(resp->body, "{\"count\": 10}");
  EXPECT_EQ(resp->Header("Content-Type"), "application/json");
  EXPECT_EQ(resp->Header("X-Reply"), "yes");
  EXPECT_EQ(seen_header, "hello");
}

TEST(HttpServerTest, ChunkedBodyIsAssembled) {
  auto server = StartServer(Echo);
  ASSERT_NE(server, nullptr);
  RawConnection client(server->port());
  auto resp = client.RoundTrip(
      "POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->body(), "hello world");
}

TEST(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto server = StartServer(Echo);
  ASSERT_NE(server, nullptr);
  RawConnection client(server->port());
  for (int i = 0; i < 5; ++i) {
    const std::string path = "/r" + std::to_string(i);
    auto resp = (i % 2 == 0) ? client.RoundTrip(Get(path)) : client.RoundTrip(Post(path, path));
    ASSERT_TRUE(resp.has_value()) << i;
    EXPECT_EQ(resp->body(), i % 2 == 0 ? "GET " + path + "\n" : path);
    EXPECT_TRUE(resp->keep_alive());
  }
}

TEST(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  auto server = StartServer(Echo);
  ASSERT_NE(server, nullptr);
  RawConnection client(server->port());
  ASSERT_TRUE(client.Send(Get("/first") + Post("/second", "body") + Get("/third")));
  auto first = client.Read();
  auto second = client.Read();
  auto third = client.Read();
  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(first->body(), "GET /first\n");
  EXPECT_EQ(second->body(), "body");
  EXPECT_EQ(third->body(), "GET /third\n");
}

TEST(HttpServerTest, ConnectionCloseIsHonoured) {
  auto server = StartServer(Echo);
  ASSERT_NE(server, nullptr);
  RawConnection client(server->port());
  auto resp = client.RoundTrip(Get("/x", "Connection: close\r\n"));
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->result_int(), 200);
  EXPECT_EQ(HeaderOf(*resp, "Connection"), "close");
  EXPECT_TRUE(client.SeesClose());
}

TEST(HttpServerTest, Http10ClosesUnlessKeepAliveIsAsked) {
  auto server = StartServer(Echo);
  ASSERT_NE(server, nullptr);
  {
    RawConnection client(server->port());
    auto resp = client.RoundTrip("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    ASSERT_TRUE(resp.has_value());
    EXPECT_EQ(HeaderOf(*resp, "Connection"), "keep-alive");
    auto again = client.RoundTrip("GET /b HTTP/1.0\r\n\r\n");
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->body(), "GET /b\n");
    EXPECT_TRUE(client.SeesClose());
  }
}

TEST(HttpServerTest, HeadSendsLengthButNoBody) {
  auto server = StartServer([](const Request&, Response& resp) { resp.body = "0123456789"; });
  ASSERT_NE(server, nullptr);
  RawConnection client(server->port());
  auto head = client.RoundTrip("HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n", /*head=*/true);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(HeaderOf(*head, "Content-Length"), "10");
  // Had the server sent a body, this would read it as the next response.
  auto get = client.RoundTrip(Get("/x"));
  ASSERT_TRUE(get.has_value());
  EXPECT_EQ(get->body(), "0123456789");
}

TEST(HttpServerTest, ExpectContinueGetsInterimResponse) {
  auto server = StartServer(Echo);
  ASSERT_NE(server, nullptr);
  RawConnection client(server->port());
  auto interim = client.RoundTrip(
      "POST /x HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->result_int(), 100);
  auto resp = client.RoundTrip("data");
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->result_int(), 200);
  EXPECT_EQ(resp->body(), "data");
}

TEST(HttpServerTest, RouterAnswers404And405WithAllowAndCapturesParams) {
  Router router;
  ASSERT_TRUE(router
                  .Add("GET", "/v1/ids/{id}/decode",
                       [](const Request&, const PathParams& params, Response& resp) {
                         resp.body = std::string(params.Get("id").value_or("?"));
                       })
                  .ok());
  ASSERT_TRUE(
      router.Add("POST", "/v1/ids", [](const Request&, const PathParams&, Response&) {}).ok());
  auto server = StartServer(router.AsHandler());
  ASSERT_NE(server, nullptr);
  const HttpClient client;

  absl::StatusOr<HttpReply> found = client.Get(UrlOf(*server, "/v1/ids/12%33/decode"));
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->status, 200);
  EXPECT_EQ(found->body, "123");

  absl::StatusOr<HttpReply> missing = client.Get(UrlOf(*server, "/v1/nothing"));
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->status, 404);

  absl::StatusOr<HttpReply> wrong_method =
      client.Send({.method = "DELETE", .url = UrlOf(*server, "/v1/ids")});
  ASSERT_TRUE(wrong_method.ok()) << wrong_method.status();
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(wrong_method->Header("Allow"), "POST");
}

TEST(HttpServerTest, TooLargeBodyGets413AndClose) {
  HttpServer::Options options;
  options.handler = Echo;
  options.max_body_bytes = 1024;
  auto server = StartServer(std::move(options));
  ASSERT_NE(server, nullptr);
  {
    RawConnection client(server->port());
    auto resp = client.RoundTrip(Post("/x", std::string(64 * 1024, 'a')));
    ASSERT_TRUE(resp.has_value());
    EXPECT_EQ(resp->result_int(), 413);
    EXPECT_EQ(HeaderOf(*resp, "Connection"), "close");
    EXPECT_TRUE(client.SeesClose());
  }
  {
    RawConnection client(server->port());
    auto resp = client.RoundTrip(
        "POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
        std::string(0x800, 'b') + "\r\n0\r\n\r\n");
    ASSERT_TRUE(resp.has_value());
    EXPECT_EQ(resp->result_int(), 413);
  }
  {
    RawConnection client(server->port());  // exactly at the limit is fine
    auto resp = client.RoundTrip(Post("/x", std::string(1024, 'c')));
    ASSERT_TRUE(resp.has_value());
    EXPECT_EQ(resp->result_int(), 200);
  }
}

TEST(HttpServerTest, HugeHeaderGets431) {
  HttpServer::Options options;
  options.handler = Echo;
  options.max_header_bytes = 2048;
  auto server = StartServer(std::move(options));
  ASSERT_NE(server, nullptr);
  RawConnection client(server->port());
  auto resp = client.RoundTrip(Get("/x", "X-Big: " + std::string(8 * 1024, 'h') + "\r\n"));
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->result_int(), 431);
  EXPECT_TRUE(client.SeesClose());
}

TEST(HttpServerTest, MalformedRequestsGet400) {
  auto server = StartServer(Echo);
  ASSERT_NE(server, nullptr);
  for (const std::string raw :
       {"NONSENSE\r\n\r\n", "GET /x HTTP/1.1\r\nBad Header\r\n\r\n",
        "GET /x HTTP/1.1\r\nContent-Length: zz\r\n\r\n", "GET x HTTP/1.1\r\nHost: t\r\n\r\n"}) {
    RawConnection client(server->port());
    auto resp = client.RoundTrip(raw);
    ASSERT_TRUE(resp.has_value()) << raw;
    EXPECT_EQ(resp->result_int(), 400) << raw;
  }
}

TEST(HttpServerTest, HandlerExceptionGives500AndServingContinues) {
  auto server = StartServer([](const Request& req, Response& resp) {
    if (req.path == "/boom") throw std::runtime_error("kaboom");
    resp.body = "fine";
  });
  ASSERT_NE(server, nullptr);
  RawConnection client(server->port());
  for (int i = 0; i < 3; ++i) {
    auto boom = client.RoundTrip(Get("/boom"));
    ASSERT_TRUE(boom.has_value());
    EXPECT_EQ(boom->result_int(), 500);
    auto ok = client.RoundTrip(Get("/ok"));
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(ok->body(), "fine");
  }
}

TEST(HttpServerTest, InvalidResponseFromHandlerGives500) {
  auto server = StartServer([](const Request& req, Response& resp) {
    if (req.path == "/status") resp.status = 42;
    if (req.path == "/header") resp.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: x");
  });
  ASSERT_NE(server, nullptr);
  for (const char* path : {"/status", "/header"}) {
    absl::StatusOr<HttpReply> resp = HttpClient().Get(UrlOf(*server, path));
    ASSERT_TRUE(resp.ok()) << resp.status();
    EXPECT_EQ(resp->status, 500);
    EXPECT_EQ(resp->Header("Set-Cookie"), "");
  }
}

TEST(HttpServerTest, CustomErrorWriterFormatsServerErrors) {
  HttpServer::Options options;
  options.handler = Echo;
  options.max_body_bytes = 8;
  options.error_writer = [](int status, std::string_view detail, Response& resp) {
    resp.status = status;
    resp.content_type = "application/problem+json";
    resp.body =
        "{\"status\":" + std::to_string(status) + ",\"detail\":\"" + std::string(detail) + "\"}";
  };
  auto server = StartServer(std::move(options));
  ASSERT_NE(server, nullptr);
  absl::StatusOr<HttpReply> resp =
      HttpClient().Post(UrlOf(*server, "/x"), "text/plain", "0123456789");
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 413);
  EXPECT_EQ(resp->Header("Content-Type"), "application/problem+json");
  EXPECT_EQ(resp->body, "{\"status\":413,\"detail\":\"request body exceeds 8 bytes\"}");
}

TEST(HttpServerTest, ManyConcurrentKeepAliveConnectionsAllSucceed) {
  constexpr int kClientThreads = 4;
  constexpr int kConnectionsPerThread = 50;
  constexpr int kRequestsPerConnection = 20;
  HttpServer::Options options;
  options.handler = Echo;
  options.threads = 2;
  auto server = StartServer(std::move(options));
  ASSERT_NE(server, nullptr);

  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClientThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::unique_ptr<RawConnection>> clients;
      for (int c = 0; c < kConnectionsPerThread; ++c) {
        clients.push_back(std::make_unique<RawConnection>(server->port()));
      }
      // Every connection stays open the whole time; each round sends one
      // request on every connection, then reads every answer.
      for (int r = 0; r < kRequestsPerConnection; ++r) {
        for (int c = 0; c < kConnectionsPerThread; ++c) {
          clients[static_cast<size_t>(c)]->Send(
              Get("/t" + std::to_string(t) + "/c" + std::to_string(c) + "?r=" + std::to_string(r)));
        }
        for (int c = 0; c < kConnectionsPerThread; ++c) {
          auto resp = clients[static_cast<size_t>(c)]->Read();
          const std::string want = "GET /t" + std::to_string(t) + "/c" + std::to_string(c) +
                                   "\n[r]=[" + std::to_string(r) + "]\n";
          if (resp && resp->result_int() == 200 && resp->body() == want) ++ok;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), kClientThreads * kConnectionsPerThread * kRequestsPerConnection);
}

TEST(HttpServerTest, StopWithIdleConnectionsReturnsPromptly) {
  HttpServer::Options options;
  options.handler = Echo;
  options.threads = 2;
  options.idle_timeout = absl::Seconds(60);
  auto server = StartServer(std::move(options));
  ASSERT_NE(server, nullptr);
  std::vector<std::unique_ptr<RawConnection>> clients;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(std::make_unique<RawConnection>(server->port()));
    ASSERT_TRUE(clients.back()->RoundTrip(Get("/warm")).has_value());
  }
  clients.push_back(std::make_unique<RawConnection>(server->port()));  // never sent anything

  const auto start = std::chrono::steady_clock::now();
  server->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  for (auto& client : clients) EXPECT_TRUE(client->SeesClose());
  server->Stop();  // idempotent
}

TEST(HttpServerTest, StopLetsInFlightRequestFinish) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto server = StartServer([&entered, released](const Request&, Response& resp) {
    entered.set_value();
    released.wait();
    resp.body = "finished";
  });
  ASSERT_NE(server, nullptr);
  RawConnection client(server->port());
  ASSERT_TRUE(client.Send(Get("/slow")));
  entered.get_future().wait();
  std::thread stopper([&server] { server->Stop(); });
  release.set_value();
  auto resp = client.Read();
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->body(), "finished");
  stopper.join();
  EXPECT_TRUE(client.SeesClose());
}

TEST(HttpServerTest, IdleTimeoutClosesConnection) {
  HttpServer::Options options;
  options.handler = Echo;
  options.idle_timeout = absl::Milliseconds(50);
  auto server = StartServer(std::move(options));
  ASSERT_NE(server, nullptr);
  RawConnection client(server->port());
  ASSERT_TRUE(client.RoundTrip(Get("/x")).has_value());
  EXPECT_TRUE(client.SeesClose());  // within the client's 10 s read timeout
  // Counted by the read's handler, which may run just after the stream's
  // timer closed the socket the client saw close.
  for (int i = 0; i < 500 && server->rejected(RejectReason::kIdleTimeout) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server->rejected(RejectReason::kIdleTimeout), 1u);
  EXPECT_EQ(server->rejected(RejectReason::kHeaderTimeout), 0u);
}

TEST(HttpServerTest, BadListenAddressesAreClearErrors) {
  struct Case {
    const char* listen;
    const char* message;
  };
  for (const Case& c : {
           Case{"foo", "listen address \"foo\": expected HOST:PORT"},
           Case{":8080", "listen address \":8080\": expected HOST:PORT"},
           Case{"example.com:80", "is not an IPv4 address, a bracketed IPv6 address or localhost"},
           Case{"127.0.0.1:99999", "port \"99999\" is not a number in 0..65535"},
           Case{"127.0.0.1:", "port \"\" is not a number"},
           Case{"::1:80", "an IPv6 address must be in brackets"},
           Case{"[::1]80", "expected [IPV6]:PORT"},
           Case{"[nope]:80", "\"nope\" is not an IPv6 address"},
       }) {
    HttpServer::Options options;
    options.handler = Echo;
    options.listen = c.listen;
    absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(options);
    ASSERT_FALSE(server.ok()) << c.listen;
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument) << c.listen;
    EXPECT_THAT(server.status().message(), HasSubstr(c.message)) << c.listen;
  }
}

TEST(HttpServerTest, PortInUseIsUnavailable) {
  auto first = StartServer(Echo);
  ASSERT_NE(first, nullptr);
  HttpServer::Options options;
  options.handler = Echo;
  options.listen = "127.0.0.1:" + std::to_string(first->port());
  absl::StatusOr<std::unique_ptr<HttpServer>> second = HttpServer::Start(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr("bind"));
}

TEST(HttpServerTest, MissingHandlerIsInvalidArgument) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start({});
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace idgen::http
