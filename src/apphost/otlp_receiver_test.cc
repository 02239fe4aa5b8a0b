// Copyright idgen authors.
#include "src/apphost/otlp_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "src/apphost/telemetry_store.h"
#include "src/http/router.h"
#include "src/server/grpc_limits.h"

namespace idgen::apphost {
namespace {

using ::testing::HasSubstr;

http::Response Post(const std::string& path, const std::string& content_type,
                    const std::string& body) {
  TelemetryStore store;
  http::Router router;
  AddOtlpHttpRoutes(router, &store);
  http::Request req;
  req.method = "POST";
  req.target = path;
  req.path = path;
  req.headers = {{"Content-Type", content_type}};
  req.body = body;
  http::Response resp;
  router.Dispatch(req, resp);
  return resp;
}

TEST(OtlpReceiverTest, JsonBodiesAreUnsupportedMediaType) {
  const http::Response resp = Post("/v1/traces", "application/json", "{}");
  EXPECT_EQ(resp.status, 415);
  EXPECT_EQ(resp.content_type, "application/problem+json");
  EXPECT_THAT(resp.body, HasSubstr("application/x-protobuf"));
}

// The Content-Type is quoted in the answer; a value that is not UTF-8 (HTTP
// allows any byte above 0x7f there) made the JSON dump throw, and the
// server answered 500 instead of 415.
TEST(OtlpReceiverTest, ContentTypeThatIsNotUtf8GetsA415ProblemNotAThrow) {
  http::Response resp;
  ASSERT_NO_THROW(resp = Post("/v1/metrics", "text/\xff\xfe", "x"));
  EXPECT_EQ(resp.status, 415);
  const nlohmann::json j = nlohmann::json::parse(resp.body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << resp.body;
  EXPECT_EQ(j["status"], 415);
}

TEST(OtlpReceiverTest, BodyThatIsNotProtobufIsA400) {
  const http::Response resp = Post("/v1/logs", "application/x-protobuf", "\xff\xff\xff");
  EXPECT_EQ(resp.status, 400);
}

// The server's first SETTINGS frame, read from a raw HTTP/2 connection
// (client preface and an empty SETTINGS sent): identifier -> value. Bounded
// by a 5 s receive timeout.
std::map<uint16_t, uint32_t> ServerSettings(int port) {
  std::map<uint16_t, uint32_t> settings;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return settings;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string hello = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  hello.append("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9);  // SETTINGS, empty
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(hello.size())) {
    ::close(fd);
    return settings;
  }
  std::string in;
  char buf[4096];
  for (int reads = 0; reads < 16; ++reads) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
    // Frames: 3-byte length, type, flags, 4-byte stream id, payload.
    size_t at = 0;
    while (in.size() - at >= 9) {
      const auto byte = [&](size_t i) {
        return static_cast<uint32_t>(static_cast<uint8_t>(in[i]));
      };
      const uint32_t len = (byte(at) << 16) | (byte(at + 1) << 8) | byte(at + 2);
      if (in.size() - at < 9 + len) break;
      if (byte(at + 3) == 0x4 && (byte(at + 4) & 0x1) == 0) {  // SETTINGS, not an ACK
        for (size_t p = at + 9; p + 6 <= at + 9 + len; p += 6) {
          settings[static_cast<uint16_t>((byte(p) << 8) | byte(p + 1))] =
              (byte(p + 2) << 24) | (byte(p + 3) << 16) | (byte(p + 4) << 8) | byte(p + 5);
        }
        ::close(fd);
        return settings;
      }
      at += 9 + len;
    }
  }
  ::close(fd);
  return settings;
}

// The receiver takes the node's gRPC bounds: gRPC 1.51 by default advertises
// no stream limit at all.
TEST(OtlpGrpcReceiverTest, AdvertisesTheNodesStreamLimit) {
  TelemetryStore store;
  absl::StatusOr<std::unique_ptr<OtlpGrpcReceiver>> receiver =
      OtlpGrpcReceiver::Start("127.0.0.1:0", &store);
  ASSERT_TRUE(receiver.ok()) << receiver.status();
  const std::map<uint16_t, uint32_t> settings = ServerSettings((*receiver)->port());
  constexpr uint16_t kMaxConcurrentStreams = 0x3;
  ASSERT_TRUE(settings.contains(kMaxConcurrentStreams))
      << "no SETTINGS_MAX_CONCURRENT_STREAMS in " << settings.size() << " settings";
  EXPECT_EQ(settings.at(kMaxConcurrentStreams),
            static_cast<uint32_t>(server::GrpcLimits{}.max_concurrent_streams));
}

}  // namespace
}  // namespace idgen::apphost
