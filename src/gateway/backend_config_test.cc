// Copyright idgen authors.
#include "src/gateway/backend_config.h"

#include <nlohmann/json.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace idgen::gateway {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(BackendConfigTest, AddressListBecomesOneBalancedTarget) {
  absl::StatusOr<BackendTargets> t =
      ResolveBackends(SplitBackendList(" 127.0.0.1:7001, localhost:7002,,"));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->balanced, "ipv4:127.0.0.1:7001,127.0.0.1:7002");
  EXPECT_EQ(t->each, (std::vector<std::string>{"ipv4:127.0.0.1:7001", "ipv4:127.0.0.1:7002"}));
  EXPECT_EQ(t->names, (std::vector<std::string>{"127.0.0.1:7001", "localhost:7002"}));
  t = ResolveBackends({"[::1]:7001", "[::1]:7002"});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->balanced, "ipv6:[::1]:7001,[::1]:7002");
}

TEST(BackendConfigTest, UnixSocketsBecomeOneBalancedTarget) {
  absl::StatusOr<BackendTargets> t =
      ResolveBackends({"unix:/run/idgen/a.sock", "unix:///run/idgen/b.sock"});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->balanced, "unix:/run/idgen/a.sock,/run/idgen/b.sock");
  EXPECT_EQ(t->each,
            (std::vector<std::string>{"unix:/run/idgen/a.sock", "unix:/run/idgen/b.sock"}));
  EXPECT_THAT(ResolveBackends({"unix:/a.sock", "127.0.0.1:1"}).status().message(),
              HasSubstr("cannot be mixed"));
  EXPECT_THAT(ResolveBackends({"unix:/a.sock", "unix:///a.sock"}).status().message(),
              HasSubstr("twice"));
  EXPECT_THAT(ResolveBackends({"unix:"}).status().message(), HasSubstr("non-empty path"));
  EXPECT_THAT(ResolveBackends({"unix:/a,b.sock"}).status().message(), HasSubstr("','"));
}

// Found by backend_list_fuzz: "unix:////run/a.sock" (path //run/a.sock)
// became the target "unix://run/a.sock", which gRPC reads as host "run".
TEST(BackendConfigTest, UnixSocketPathWithLeadingSlashesStaysAPath) {
  absl::StatusOr<BackendTargets> t = ResolveBackends({"unix:////run/a.sock", "unix://///b.sock"});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->balanced, "unix:/run/a.sock,/b.sock");
  EXPECT_EQ(t->each, (std::vector<std::string>{"unix:/run/a.sock", "unix:/b.sock"}));
  EXPECT_THAT(ResolveBackends({"unix:////a.sock", "unix:/a.sock"}).status().message(),
              HasSubstr("listed twice"));
}

TEST(BackendConfigTest, DnsTargetStandsAlone) {
  absl::StatusOr<BackendTargets> t = ResolveBackends({"dns:///idgen.internal:50051"});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->balanced, "dns:///idgen.internal:50051");
  EXPECT_FALSE(ResolveBackends({"dns:///a:1", "127.0.0.1:2"}).ok());
  EXPECT_FALSE(ResolveBackends({"127.0.0.1:2", "dns:///a:1"}).ok());
  EXPECT_FALSE(ResolveBackends({"dns:///a"}).ok());
}

TEST(BackendConfigTest, BadEntriesNameThemselves) {
  EXPECT_THAT(ResolveBackends({}).status().message(), HasSubstr("at least one"));
  EXPECT_THAT(ResolveBackends({"nohost"}).status().message(), HasSubstr("\"nohost\""));
  EXPECT_THAT(ResolveBackends({"127.0.0.1:0"}).status().message(), HasSubstr("1..65535"));
  EXPECT_THAT(ResolveBackends({"127.0.0.1:x"}).status().message(), HasSubstr("1..65535"));
  EXPECT_THAT(ResolveBackends({"example.com:1"}).status().message(), HasSubstr("dns:///"));
  EXPECT_THAT(ResolveBackends({"::1:7"}).status().message(), HasSubstr("\"::1:7\""));
  EXPECT_THAT(ResolveBackends({"::1:7"}).status().message(), HasSubstr("in brackets"));
  EXPECT_THAT(ResolveBackends({"[nothex]:7"}).status().message(), HasSubstr("not an IPv6 address"));
  EXPECT_THAT(ResolveBackends({"http://127.0.0.1:7"}).status().message(),
              HasSubstr("expected HOST:PORT"));
  EXPECT_THAT(ResolveBackends({"127.0.0.1:1", "[::1]:2"}).status().message(), HasSubstr("mixed"));
  EXPECT_THAT(ResolveBackends({"127.0.0.1:1", "localhost:1"}).status().message(),
              HasSubstr("twice"));
}

TEST(BackendConfigTest, ServiceConfigAsksForRoundRobinAndHealthButNotGrpcRetries) {
  BackendConfig c;
  c.retry_attempts = 4;
  const nlohmann::json j = nlohmann::json::parse(ServiceConfigJson(c));
  EXPECT_TRUE(j["loadBalancingConfig"][0].contains("round_robin"));
  EXPECT_EQ(j["healthCheckConfig"]["serviceName"], "idgen.v1.IdGenerator");
  // The gateway retries itself (counted, traced); gRPC must not retry too.
  EXPECT_FALSE(j.contains("methodConfig"));
  EXPECT_FALSE(j.contains("retryThrottling"));
  c.health_check = false;
  const nlohmann::json off = nlohmann::json::parse(ServiceConfigJson(c));
  EXPECT_FALSE(off.contains("healthCheckConfig"));
}

TEST(BackendConfigTest, SettingsOutOfRangeAreRejected) {
  BackendConfig c;
  EXPECT_TRUE(CheckBackendConfig(c).ok());
  c.retry_attempts = 6;
  EXPECT_THAT(CheckBackendConfig(c).message(), HasSubstr("--retry-attempts"));
  c = BackendConfig();
  c.call_timeout = absl::ZeroDuration();
  EXPECT_THAT(CheckBackendConfig(c).message(), HasSubstr("--call-timeout-ms"));
  c = BackendConfig();
  c.max_in_flight = 0;
  EXPECT_THAT(CheckBackendConfig(c).message(), HasSubstr("--max-in-flight"));
}

TEST(BackendConfigTest, SeveralTlsBackendsNeedOneNameToCheckCertificatesAgainst) {
  BackendConfig c;
  c.backends = {"127.0.0.1:50051", "127.0.0.1:50052"};
  c.tls.ca_file = "ca.pem";
  EXPECT_THAT(CheckBackendConfig(c).message(), HasSubstr("--backend-tls-server-name is needed"));
  c.tls.server_name = "idgen-node.internal";
  EXPECT_TRUE(CheckBackendConfig(c).ok());
  c.tls.server_name.clear();
  c.backends.resize(1);
  EXPECT_TRUE(CheckBackendConfig(c).ok());
}

}  // namespace
TEST(WithTransportHintTest, AConnectionClosedInSetUpSaysWhatTlsToCheck) {
  const std::string closed =
      "connections to all backends failing; last error: UNAVAILABLE: ipv4:127.0.0.1:1: Socket "
      "closed";
  security::TlsClientConfig tls;
  EXPECT_THAT(
      WithTransportHint(closed, tls),
      AllOf(StartsWith(closed), HasSubstr("it may serve TLS; give the gateway --backend-tls-ca")));
  tls.ca_file = "ca.pem";
  EXPECT_THAT(
      WithTransportHint(closed, tls),
      HasSubstr("it may require a client certificate; give the gateway --backend-tls-cert"));
  tls.cert_file = "gw.pem";
  tls.key_file = "gw.key";
  EXPECT_THAT(WithTransportHint("ssl handshake failure", tls),
              HasSubstr("check that it trusts the CA of --backend-tls-cert"));
  // Other failures are passed on as they are.
  const std::string refused = "failed to connect to all addresses; last error: Connection refused";
  EXPECT_EQ(WithTransportHint(refused, tls), refused);
}

}  // namespace idgen::gateway
