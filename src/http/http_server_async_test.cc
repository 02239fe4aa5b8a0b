// Copyright idgen authors.
//
// HttpServer's asynchronous handler mode: answers written when `done` runs,
// from the handler's own thread or another one, without stalling the other
// connections of the same I/O thread.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "idgen/internal/mutex.h"
#include "src/http/http_server.h"
#include "src/http/router.h"

namespace idgen::http {
namespace {

// One blocking request on a fresh connection (10 s socket timeouts); returns
// the raw response text up to the end of its body (Content-Length), or "".
std::string RawRoundTrip(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{};
  tv.tv_sec = 10;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buf[4096];
    for (int i = 0; i < 1000; ++i) {
      const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
      const size_t end = out.find("\r\n\r\n");
      const size_t cl = out.find("Content-Length: ");
      if (end != std::string::npos && cl != std::string::npos && cl < end) {
        const size_t len = std::stoul(out.substr(cl + 16));
        if (out.size() >= end + 4 + len) break;
      }
    }
  }
  ::close(fd);
  return out;
}

std::string Get(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
}

std::string BodyOf(const std::string& raw) {
  const size_t end = raw.find("\r\n\r\n");
  return end == std::string::npos ? "" : raw.substr(end + 4);
}

TEST(HttpServerAsyncTest, InlineDoneAnswersAtOnce) {
  HttpServer::Options opts;
  opts.async_handler = [](const Request& req, Response& resp, const Done& done) {
    resp.body = "inline " + req.path;
    done();
    done();  // ignored
  };
  auto server = HttpServer::Start(std::move(opts));
  ASSERT_TRUE(server.ok()) << server.status();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(BodyOf(RawRoundTrip((*server)->port(), Get("/x"))), "inline /x");
  }
}

// A request whose answer is held back must not stall a second connection on
// the same (single) I/O thread; the held one is answered from another thread.
TEST(HttpServerAsyncTest, PendingAnswerDoesNotStallOtherConnections) {
  Mutex mu;
  std::vector<std::pair<Response*, Done>> held;
  HttpServer::Options opts;
  opts.threads = 1;
  opts.async_handler = [&](const Request& req, Response& resp, Done done) {
    if (req.path == "/slow") {
      MutexLock lock(&mu);
      held.emplace_back(&resp, std::move(done));
      return;
    }
    resp.body = "fast";
    done();
  };
  auto server = HttpServer::Start(std::move(opts));
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  std::future<std::string> slow =
      std::async(std::launch::async, [port] { return RawRoundTrip(port, Get("/slow")); });
  bool seen = false;
  for (int i = 0; i < 500 && !seen; ++i) {
    {
      MutexLock lock(&mu);
      seen = !held.empty();
    }
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(seen);
  EXPECT_EQ(BodyOf(RawRoundTrip(port, Get("/fast"))), "fast");
  EXPECT_EQ(slow.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  std::thread answerer([&] {
    MutexLock lock(&mu);
    held[0].first->status = 202;
    held[0].first->body = "late";
    held[0].second();
  });
  answerer.join();
  const std::string raw = slow.get();
  EXPECT_EQ(raw.rfind("HTTP/1.1 202", 0), 0u) << raw;
  EXPECT_EQ(BodyOf(raw), "late");
}

TEST(HttpServerAsyncTest, ThrowingHandlerGets500AndServingContinues) {
  HttpServer::Options opts;
  opts.async_handler = [](const Request& req, Response& resp, const Done& done) {
    if (req.path == "/boom") throw std::runtime_error("kaboom");
    resp.body = "fine";
    done();
  };
  auto server = HttpServer::Start(std::move(opts));
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(RawRoundTrip((*server)->port(), Get("/boom")).rfind("HTTP/1.1 500", 0), 0u);
  EXPECT_EQ(BodyOf(RawRoundTrip((*server)->port(), Get("/ok"))), "fine");
}

TEST(HttpServerAsyncTest, RouterServesAsyncAndPlainRoutesAndErrors) {
  Router router;
  ASSERT_TRUE(
      router
          .AddAsync("GET", "/a/{id}",
                    [](const Request&, const PathParams& p, Response& resp, const Done& done) {
                      resp.body = "async " + std::string(*p.Get("id"));
                      done();
                    })
          .ok());
  ASSERT_TRUE(router
                  .Add("GET", "/s",
                       [](const Request&, const PathParams&, Response& resp) { resp.body = "s"; })
                  .ok());
  HttpServer::Options opts;
  opts.async_handler = router.AsAsyncHandler();
  auto server = HttpServer::Start(std::move(opts));
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  EXPECT_EQ(BodyOf(RawRoundTrip(port, Get("/a/7"))), "async 7");
  EXPECT_EQ(BodyOf(RawRoundTrip(port, Get("/s"))), "s");
  EXPECT_EQ(RawRoundTrip(port, Get("/nope")).rfind("HTTP/1.1 404", 0), 0u);
  const std::string post = RawRoundTrip(
      port, "POST /s HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(post.rfind("HTTP/1.1 405", 0), 0u);
  EXPECT_NE(post.find("Allow: GET, HEAD"), std::string::npos) << post;
  // A plain Dispatch of an asynchronous route is an error, not a hang.
  Request req;
  req.method = "GET";
  req.path = "/a/1";
  Response resp;
  router.Dispatch(req, resp);
  EXPECT_EQ(resp.status, 500);
}

TEST(HttpServerAsyncTest, BothOrNeitherHandlerIsInvalidArgument) {
  HttpServer::Options both;
  both.handler = [](const Request&, Response&) {};
  both.async_handler = [](const Request&, Response&, const Done& done) { done(); };
  EXPECT_EQ(HttpServer::Start(std::move(both)).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace idgen::http
