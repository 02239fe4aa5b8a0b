// Copyright idgen authors.
#include "src/config/host_port.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace idgen::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;

TEST(CheckHostPort, AcceptsHostPortAndBracketedIpv6) {
  EXPECT_TRUE(CheckHostPort("--listen", "127.0.0.1:0").ok());
  EXPECT_TRUE(CheckHostPort("--listen", "[::1]:65535").ok());
  EXPECT_TRUE(CheckHostPort("--listen", "localhost:50051").ok());
}

TEST(CheckHostPort, RejectsNonsenseNamingFlagAndValue) {
  for (const char* bad : {"", "foo", ":80", "host:", "host:65536", "host:-1", "[::1:80", "h:8x",
                          "::1:80", "[host]:80", "http://h:80"}) {
    absl::Status s = CheckHostPort("--listen", bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(s.message()),
                HasSubstr("--listen \"" + std::string(bad) + "\": expected HOST:PORT"));
  }
}

TEST(UnixSocketPath, AcceptsPathAndEmptyAuthorityForms) {
  EXPECT_THAT(UnixSocketPath("unix:/run/idgen/grpc.sock"),
              Optional(std::string("/run/idgen/grpc.sock")));
  EXPECT_THAT(UnixSocketPath("unix:///run/idgen.sock"), Optional(std::string("/run/idgen.sock")));
  EXPECT_THAT(UnixSocketPath("unix:relative.sock"), Optional(std::string("relative.sock")));
}

TEST(UnixSocketPath, NotAUnixAddress) {
  EXPECT_EQ(UnixSocketPath("127.0.0.1:50051"), std::nullopt);
  EXPECT_EQ(UnixSocketPath("unix:"), std::nullopt);
  EXPECT_EQ(UnixSocketPath("unix://host/path"), std::nullopt);
  EXPECT_EQ(UnixSocketPath("unix-abstract:name"), std::nullopt);
  EXPECT_EQ(UnixSocketPath(std::string("unix:/a\0b", 9)), std::nullopt);
}

TEST(CheckGrpcListen, AcceptsTcpAndUnix) {
  EXPECT_TRUE(CheckGrpcListen("--listen", "127.0.0.1:50051").ok());
  EXPECT_TRUE(CheckGrpcListen("--listen", "unix:/tmp/idgen.sock").ok());
  EXPECT_TRUE(CheckGrpcListen("--listen", "unix:" + std::string(kMaxUnixSocketPath, 'a')).ok());
}

TEST(CheckGrpcListen, RejectionsSayWhichFormsWork) {
  absl::Status s = CheckGrpcListen("--listen", "nonsense");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("or unix:PATH"));

  s = CheckGrpcListen("--listen", "unix:");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("non-empty path"));

  s = CheckGrpcListen("--listen", "unix://host/x.sock");
  EXPECT_THAT(std::string(s.message()), HasSubstr("has no host"));

  s = CheckGrpcListen("--listen", "unix:" + std::string(kMaxUnixSocketPath + 1, 'a'));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("108 bytes; the kernel takes at most 107"));
}

TEST(IsLocalOnly, LoopbackAddressesAndSockets) {
  for (const char* local : {"127.0.0.1:50051", "127.9.8.7:0", "localhost:1", "LocalHost:1",
                            "[::1]:50051", "unix:/run/idgen.sock", "unix:///tmp/x"}) {
    EXPECT_TRUE(IsLocalOnly(local)) << local;
  }
}

TEST(IsLocalOnly, WildcardsNamesAndOtherAddressesAreNot) {
  for (const char* remote : {"0.0.0.0:50051", "[::]:50051", ":50051", "10.0.0.9:50051",
                             "128.0.0.1:1", "[::ffff:127.0.0.1]:1", "[2001:db8::1]:1",
                             "idgen.example:50051", "localhost.evil:1", "[::1:1", "nonsense"}) {
    EXPECT_FALSE(IsLocalOnly(remote)) << remote;
  }
}

}  // namespace
}  // namespace idgen::config
