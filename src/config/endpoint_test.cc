// Copyright idgen authors.
#include "src/config/endpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace idgen::config {
namespace {

using ::testing::HasSubstr;

std::string Reason(std::string_view text, const EndpointRules& rules = {}) {
  absl::StatusOr<Endpoint> e = ParseEndpoint(text, rules);
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument) << text;
  return std::string(e.status().message());
}

TEST(ParseEndpoint, HostPortWithoutScheme) {
  absl::StatusOr<Endpoint> e = ParseEndpoint("127.0.0.1:2379");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->scheme, Scheme::kNone);
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 2379);
  EXPECT_EQ(e->path, "");
  EXPECT_EQ(e->HostPort(), "127.0.0.1:2379");
}

TEST(ParseEndpoint, BracketedIpv6) {
  absl::StatusOr<Endpoint> e = ParseEndpoint("http://[::1]:4318/v1/traces");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->scheme, Scheme::kHttp);
  EXPECT_EQ(e->host, "::1");
  EXPECT_TRUE(e->IsIpv6());
  EXPECT_EQ(e->port, 4318);
  EXPECT_EQ(e->path, "/v1/traces");
  EXPECT_EQ(e->HostPort(), "[::1]:4318");
  EXPECT_EQ(ParseEndpoint("[2001:db8::1]:50051")->host, "2001:db8::1");
}

TEST(ParseEndpoint, DefaultPortsPerScheme) {
  EXPECT_EQ(ParseEndpoint("http://localhost")->port, 80);
  EXPECT_EQ(ParseEndpoint("https://localhost/x?y=1")->port, 443);
  EXPECT_EQ(ParseEndpoint("https://localhost/x?y=1")->path, "/x?y=1");
  EXPECT_EQ(ParseEndpoint("http://[::1]")->port, 80);
  EXPECT_THAT(Reason("http://localhost", {.require_port = true}), HasSubstr("missing port"));
}

TEST(ParseEndpoint, UnixSockets) {
  absl::StatusOr<Endpoint> e = ParseEndpoint("unix:///run/idgen.sock");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->scheme, Scheme::kUnix);
  EXPECT_EQ(e->path, "/run/idgen.sock");
  EXPECT_EQ(ParseEndpoint("unix:rel.sock")->path, "rel.sock");
  EXPECT_THAT(Reason("unix:"), HasSubstr("non-empty path"));
  EXPECT_THAT(Reason("unix://host/x"), HasSubstr("no host"));
}

TEST(ParseEndpoint, MissingOrBadPort) {
  EXPECT_THAT(Reason("localhost"), HasSubstr("missing port"));
  EXPECT_THAT(Reason("localhost:"), HasSubstr("port \"\" is not a number"));
  EXPECT_THAT(Reason("http://h:"), HasSubstr("port \"\" is not a number"));
  for (const char* bad :
       {"h:65536", "h:-1", "h:+1", "h:8x", "h:0", "h:000080000", "h: 80", "h:80 "}) {
    EXPECT_THAT(Reason(bad), HasSubstr("is not a number in 1..65535")) << bad;
  }
  EXPECT_EQ(ParseEndpoint("h:0", {.allow_port_zero = true})->port, 0);
  EXPECT_THAT(Reason("h:x", {.allow_port_zero = true}), HasSubstr("0..65535"));
}

TEST(ParseEndpoint, UnknownSchemeAndMissingScheme) {
  EXPECT_THAT(Reason("ftp://h:1"), HasSubstr("unknown scheme \"ftp\""));
  EXPECT_THAT(Reason("dns:///h:1"), HasSubstr("unknown scheme \"dns\""));
  EXPECT_THAT(Reason("h:1", {.require_scheme = true}), HasSubstr("http://HOST:PORT"));
}

TEST(ParseEndpoint, EmptyOrBadHost) {
  EXPECT_THAT(Reason(":80"), HasSubstr("empty host"));
  EXPECT_THAT(Reason("http://:80/"), HasSubstr("empty host"));
  EXPECT_THAT(Reason("http://"), HasSubstr("empty host"));
  EXPECT_THAT(Reason(""), HasSubstr("empty host"));
  EXPECT_THAT(Reason("http://user@h:1/"), HasSubstr("bad host"));
  EXPECT_THAT(Reason("a b:1"), HasSubstr("bad host"));
}

TEST(ParseEndpoint, Ipv6NeedsBracketsAndAnAddress) {
  EXPECT_THAT(Reason("::1:80"), HasSubstr("must be in brackets"));
  EXPECT_THAT(Reason("[::1:80"), HasSubstr("unclosed"));
  EXPECT_THAT(Reason("[::1]x:80"), HasSubstr("':' after ']'"));
  EXPECT_THAT(Reason("[nothex]:80"), HasSubstr("not an IPv6 address"));
}

TEST(ParseEndpoint, BareHostPortHasNoPath) {
  EXPECT_THAT(Reason("h:1/x"), HasSubstr("without a path"));
}

}  // namespace
}  // namespace idgen::config
