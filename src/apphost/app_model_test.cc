// Copyright idgen authors.
#include "src/apphost/app_model.h"

#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/testing/temp_dir.h"

namespace idgen::apphost {
namespace {

using ::testing::HasSubstr;

const ResourceSpec* Find(const std::vector<ResourceSpec>& specs, const std::string& name) {
  auto it = std::find_if(specs.begin(), specs.end(),
                         [&](const ResourceSpec& s) { return s.name == name; });
  return it == specs.end() ? nullptr : &*it;
}

std::string Env(const ResourceSpec& r, const std::string& key) {
  for (const auto& [k, v] : r.env) {
    if (k == key) return v;
  }
  return "<unset>";
}

Wiring TestWiring() {
  Wiring w;
  w.idgen_binary = "/opt/idgen";
  w.otlp_endpoint = "http://127.0.0.1:4318";
  auto next = std::make_shared<int>(20000);
  w.free_port = [next]() -> absl::StatusOr<int> { return (*next)++; };
  return w;
}

TEST(AppModelTest, FileOverridesDefaultsAndKeepsTheRest) {
  absl::StatusOr<AppModel> m = ParseAppModel(R"({
    // comments are allowed
    "nodes": {"count": 5},
    "etcd": {"members": 3},
    "gateway": {"listen": "127.0.0.1:9000"}
  })");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->nodes, 5);
  EXPECT_EQ(m->etcd_members, 3);
  EXPECT_EQ(m->gateway_listen, "127.0.0.1:9000");
  EXPECT_EQ(m->dashboard_listen, "127.0.0.1:18888");
  EXPECT_FALSE(m->embedded);
  EXPECT_TRUE(ValidateAppModel(*m).ok());
}

TEST(AppModelTest, BadFilesNameTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"nodes": {"count": 0}})", "nodes.count: must be between 1 and 64, got 0"},
      {R"({"nodes": {"cuont": 2}})", "nodes.cuont: unknown key"},
      {R"({"etcd": {"members": 4}})", "etcd.members: must be between 1 and 3"},
      {R"({"coordination": "zookeeper"})", "coordination: must be \"etcd\" or \"embedded\""},
      {R"({"gateway": {"enabled": "yes"}})", "gateway.enabled: must be true or false"},
      {R"({"gateway": []})", "gateway: must be an object"},
      {R"({"extra": 1})", "extra: unknown key"},
      {R"({"nodes": )", "not valid JSON"},
  };
  for (const auto& [text, message] : cases) {
    absl::StatusOr<AppModel> m = ParseAppModel(text);
    ASSERT_FALSE(m.ok()) << text;
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(m.status().message()), HasSubstr(message)) << text;
  }
}

TEST(AppModelTest, ValidationCatchesCrossFieldNonsense) {
  AppModel m;
  m.etcd_members = 2;
  EXPECT_THAT(std::string(ValidateAppModel(m).message()), HasSubstr("must be 1 or 3"));
  m = AppModel();
  m.gateway_listen = "localhost";
  EXPECT_THAT(std::string(ValidateAppModel(m).message()), HasSubstr("expected HOST:PORT"));
  m = AppModel();
  m.dashboard_listen = m.gateway_listen;
  EXPECT_THAT(std::string(ValidateAppModel(m).message()), HasSubstr("must differ"));
  m = AppModel();
  m.cluster = "a/b";
  EXPECT_THAT(std::string(ValidateAppModel(m).message()), HasSubstr("nodes.cluster"));
}

TEST(AppModelTest, ResourcesAreWiredInDependencyOrder) {
  AppModel m;
  m.etcd_members = 3;
  m.prometheus = true;
  PortPlan plan;
  absl::StatusOr<std::vector<ResourceSpec>> specs = BuildResources(m, TestWiring(), &plan);
  ASSERT_TRUE(specs.ok()) << specs.status();
  ASSERT_EQ(specs->size(), 3u + 3u + 1u + 1u);
  const ResourceSpec* etcd1 = Find(*specs, "etcd-1");
  ASSERT_NE(etcd1, nullptr);
  const std::string etcd_urls = absl::StrCat("http://127.0.0.1:", plan.ports["etcd-0.client"],
                                             ",http://127.0.0.1:", plan.ports["etcd-1.client"],
                                             ",http://127.0.0.1:", plan.ports["etcd-2.client"]);
  const ResourceSpec* node2 = Find(*specs, "node-2");
  ASSERT_NE(node2, nullptr);
  EXPECT_EQ(node2->argv, (std::vector<std::string>{"/opt/idgen", "serve"}));
  EXPECT_EQ(Env(*node2, "IDGEN_ETCD"), etcd_urls);
  EXPECT_EQ(Env(*node2, "IDGEN_LISTEN"), absl::StrCat("127.0.0.1:", plan.ports["node-2.grpc"]));
  EXPECT_EQ(Env(*node2, "OTEL_EXPORTER_OTLP_ENDPOINT"), "http://127.0.0.1:4318");
  EXPECT_EQ(node2->depends_on, (std::vector<std::string>{"etcd-0", "etcd-1", "etcd-2"}));
  EXPECT_EQ(node2->health_url,
            absl::StrCat("http://127.0.0.1:", plan.ports["node-2.admin"], "/health"));
  const ResourceSpec* gw = Find(*specs, "gateway");
  ASSERT_NE(gw, nullptr);
  EXPECT_THAT(Env(*gw, "IDGEN_BACKENDS"),
              HasSubstr(absl::StrCat("127.0.0.1:", plan.ports["node-0.grpc"], ",")));
  EXPECT_EQ(gw->depends_on.size(), 3u);
  // Every port is distinct.
  std::set<int> ports;
  for (const auto& [k, p] : plan.ports) ports.insert(p);
  EXPECT_EQ(ports.size(), plan.ports.size());
  EXPECT_THAT(PrometheusConfig(m, plan),
              HasSubstr(absl::StrCat("'127.0.0.1:", plan.ports["node-1.admin"], "'")));
}

TEST(AppModelTest, EmbeddedHasNoEtcdAndKeepsGivenPorts) {
  AppModel m;
  m.embedded = true;
  m.nodes = 2;
  m.gateway = false;
  PortPlan plan;
  plan.ports["node-0.grpc"] = 31000;
  absl::StatusOr<std::vector<ResourceSpec>> specs = BuildResources(m, TestWiring(), &plan);
  ASSERT_TRUE(specs.ok());
  ASSERT_EQ(specs->size(), 2u);
  EXPECT_EQ(Env((*specs)[0], "IDGEN_LISTEN"), "127.0.0.1:31000");
  EXPECT_EQ(Env((*specs)[0], "IDGEN_ETCD"), "<unset>");
  EXPECT_TRUE((*specs)[0].depends_on.empty());
}

TEST(AppModelTest, SecureWiringGivesEveryLinkMutualTls) {
  idgen::testing::TempDir tmp("app_model_");
  AppModel m;
  m.prometheus = true;
  absl::StatusOr<LocalPki> pki =
      LocalPki::Ensure(tmp.path() + "/tls", CertificateNames(m), absl::Now());
  ASSERT_TRUE(pki.ok()) << pki.status();
  Wiring w = TestWiring();
  w.otlp_endpoint = "https://127.0.0.1:4318";
  w.pki = &*pki;
  PortPlan plan;
  absl::StatusOr<std::vector<ResourceSpec>> specs = BuildResources(m, w, &plan);
  ASSERT_TRUE(specs.ok()) << specs.status();

  const ResourceSpec* etcd = Find(*specs, "etcd-0");
  ASSERT_NE(etcd, nullptr);
  EXPECT_THAT(etcd->argv, ::testing::IsSupersetOf({std::string("--client-cert-auth"),
                                                   std::string("--peer-client-cert-auth"),
                                                   pki->cert_file("etcd")}));
  EXPECT_EQ(etcd->health_url,
            absl::StrCat("https://127.0.0.1:", plan.ports["etcd-0.client"], "/health"));

  const ResourceSpec* node = Find(*specs, "node-0");
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(Env(*node, "IDGEN_ETCD"),
            absl::StrCat("https://127.0.0.1:", plan.ports["etcd-0.client"]));
  EXPECT_EQ(Env(*node, "IDGEN_TLS_CLIENT_CA"), pki->ca_file());
  EXPECT_EQ(Env(*node, "IDGEN_ETCD_CERT"), pki->cert_file("node"));
  EXPECT_EQ(Env(*node, "OTEL_EXPORTER_OTLP_CLIENT_KEY"), pki->key_file("node"));
  EXPECT_EQ(node->health_url,
            absl::StrCat("https://127.0.0.1:", plan.ports["node-0.admin"], "/health"));

  const ResourceSpec* gw = Find(*specs, "gateway");
  ASSERT_NE(gw, nullptr);
  EXPECT_EQ(Env(*gw, "IDGEN_BACKEND_TLS_CERT"), pki->cert_file("gateway"));
  EXPECT_EQ(Env(*gw, "IDGEN_TLS_CERT"), "<unset>");  // REST stays plain on loopback
  EXPECT_EQ(gw->health_url, "http://127.0.0.1:8080/health");

  const std::string prom = PrometheusConfig(m, plan, &*pki);
  EXPECT_THAT(prom, HasSubstr("scheme: https"));
  EXPECT_THAT(prom, HasSubstr(pki->cert_file("prometheus")));

  m.gateway_tls = true;
  specs = BuildResources(m, w, &plan);
  ASSERT_TRUE(specs.ok());
  gw = Find(*specs, "gateway");
  EXPECT_EQ(Env(*gw, "IDGEN_TLS_CERT"), pki->cert_file("gateway"));
  EXPECT_EQ(gw->health_url, "https://127.0.0.1:8080/health");
}

TEST(AppModelTest, InsecureAndGatewayTlsAreReadAndExclusive) {
  absl::StatusOr<AppModel> m = ParseAppModel(R"({"insecure": true, "gateway": {"tls": false}})");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->insecure);
  EXPECT_FALSE(ParseAppModel(R"({"insecure": "yes"})").ok());
  m->gateway_tls = true;
  EXPECT_THAT(std::string(ValidateAppModel(*m).message()), HasSubstr("gateway.tls"));
}

}  // namespace
}  // namespace idgen::apphost
