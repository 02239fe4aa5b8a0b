// Copyright idgen authors.
#include "src/apphost/app_model.h"

#include <functional>
#include <initializer_list>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/config/host_port.h"
#include "src/config/json_fields.h"

namespace idgen::apphost {
namespace {

using config::CheckKeys;
using config::GetBool;
using config::GetInt;
using config::GetString;
using config::Json;
using config::KeyError;

// Each assigns `*field` from obj[key] when present and valid.
absl::Status ReadInt(const Json& obj, const std::string& key, const std::string& path, int min,
                     int max, int* field) {
  absl::StatusOr<int64_t> v = GetInt(obj, key, path, min, max, *field);
  if (!v.ok()) return v.status();
  *field = static_cast<int>(*v);
  return absl::OkStatus();
}

absl::Status ReadString(const Json& obj, const std::string& key, const std::string& path,
                        std::string* field) {
  absl::StatusOr<std::string> v = GetString(obj, key, path, *field);
  if (!v.ok()) return v.status();
  *field = *std::move(v);
  return absl::OkStatus();
}

absl::Status ReadBool(const Json& obj, const std::string& key, const std::string& path,
                      bool* field) {
  absl::StatusOr<bool> v = GetBool(obj, key, path, *field);
  if (!v.ok()) return v.status();
  *field = *v;
  return absl::OkStatus();
}

// The first error of `checks`, or OK.
absl::Status First(std::initializer_list<std::function<absl::Status()>> checks) {
  for (const auto& check : checks) {
    if (absl::Status s = check(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<int> Port(const PortPlan& plan, const std::string& key) {
  auto it = plan.ports.find(key);
  if (it == plan.ports.end()) return absl::InternalError(absl::StrCat("no port for ", key));
  return it->second;
}

std::string Loopback(int port) { return absl::StrCat("127.0.0.1:", port); }

// Points a service's OTLP export at the AppHost, exporting often enough for
// a live dashboard.
// "https" with certificates, else "http".
std::string Scheme(const Wiring& w) { return w.pki != nullptr ? "https" : "http"; }

// `r` (named `leaf` in the PKI) exports OTLP to the AppHost, over mutual TLS
// when there is a PKI.
void AddTelemetryEnv(const Wiring& w, const std::string& leaf, ResourceSpec* r) {
  if (w.otlp_endpoint.empty()) return;
  r->env.emplace_back("OTEL_EXPORTER_OTLP_ENDPOINT", w.otlp_endpoint);
  if (w.pki != nullptr) {
    r->env.emplace_back("OTEL_EXPORTER_OTLP_CERTIFICATE", w.pki->ca_file());
    r->env.emplace_back("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", w.pki->cert_file(leaf));
    r->env.emplace_back("OTEL_EXPORTER_OTLP_CLIENT_KEY", w.pki->key_file(leaf));
  }
  r->env.emplace_back("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
  r->env.emplace_back("OTEL_METRIC_EXPORT_INTERVAL", "2000");
  r->env.emplace_back("OTEL_BSP_SCHEDULE_DELAY", "500");
}

}  // namespace

absl::StatusOr<AppModel> ParseAppModel(const std::string& json_text, AppModel m) {
  absl::StatusOr<Json> parsed = config::ParseJson(json_text);
  if (!parsed.ok()) return parsed.status();
  const Json& root = *parsed;
  const Json none = Json::object();
  // A section, checked for unknown keys; an empty object when absent.
  auto section = [&](const std::string& key, const std::set<std::string>& allowed,
                     const Json** out) -> absl::Status {
    *out = root.contains(key) ? &root[key] : &none;
    return CheckKeys(**out, key, allowed);
  };
  const Json* etcd = nullptr;
  const Json* nodes = nullptr;
  const Json* gateway = nullptr;
  const Json* prometheus = nullptr;
  const Json* dashboard = nullptr;
  std::string coordination = m.embedded ? "embedded" : "etcd";
  absl::Status s = First({
      [&] {
        return CheckKeys(root, "",
                         {"state_dir", "insecure", "coordination", "etcd", "nodes", "gateway",
                          "prometheus", "dashboard"});
      },
      [&] {
        return section("etcd", {"members", "binary"}, &etcd);
      },
      [&] {
        return section("nodes", {"count", "config", "cluster", "lease_ttl_s"}, &nodes);
      },
      [&] {
        return section("gateway", {"enabled", "listen", "tls"}, &gateway);
      },
      [&] {
        return section("prometheus", {"enabled", "binary", "listen"}, &prometheus);
      },
      [&] { return section("dashboard", {"listen"}, &dashboard); },
      [&] { return ReadString(root, "state_dir", "", &m.state_dir); },
      [&] { return ReadString(root, "coordination", "", &coordination); },
      [&] { return ReadBool(root, "insecure", "", &m.insecure); },
      [&] { return ReadInt(*etcd, "members", "etcd", 1, 3, &m.etcd_members); },
      [&] { return ReadString(*etcd, "binary", "etcd", &m.etcd_binary); },
      [&] { return ReadInt(*nodes, "count", "nodes", 1, 64, &m.nodes); },
      [&] { return ReadString(*nodes, "config", "nodes", &m.node_config); },
      [&] { return ReadString(*nodes, "cluster", "nodes", &m.cluster); },
      [&] { return ReadInt(*nodes, "lease_ttl_s", "nodes", 2, 3600, &m.lease_ttl_s); },
      [&] { return ReadBool(*gateway, "enabled", "gateway", &m.gateway); },
      [&] { return ReadString(*gateway, "listen", "gateway", &m.gateway_listen); },
      [&] { return ReadBool(*gateway, "tls", "gateway", &m.gateway_tls); },
      [&] { return ReadBool(*prometheus, "enabled", "prometheus", &m.prometheus); },
      [&] { return ReadString(*prometheus, "binary", "prometheus", &m.prometheus_binary); },
      [&] { return ReadString(*prometheus, "listen", "prometheus", &m.prometheus_listen); },
      [&] { return ReadString(*dashboard, "listen", "dashboard", &m.dashboard_listen); },
  });
  if (!s.ok()) return s;
  if (coordination != "etcd" && coordination != "embedded") {
    return KeyError("coordination",
                    absl::StrCat("must be \"etcd\" or \"embedded\", got \"", coordination, "\""));
  }
  m.embedded = coordination == "embedded";
  return m;
}

absl::StatusOr<AppModel> LoadAppModel(const std::string& path, AppModel base) {
  absl::StatusOr<std::string> text = config::ReadTextFile(path);
  if (!text.ok()) return absl::InvalidArgumentError(absl::StrCat("app ", text.status().message()));
  absl::StatusOr<AppModel> m = ParseAppModel(*text, std::move(base));
  if (!m.ok()) {
    return absl::Status(m.status().code(),
                        absl::StrCat("app file ", path, ": ", m.status().message()));
  }
  return m;
}

std::string DefaultUpNamespacesJson() {
  return R"({
  "namespaces": [
    {"name": "default"},
    {"name": "uuidv7", "scheme": "uuidv7"},
    {"name": "ulid", "scheme": "ulid"},
    {"name": "orders", "scheme": "segment"}
  ]
}
)";
}

absl::Status ValidateAppModel(const AppModel& m) {
  if (m.state_dir.empty()) return KeyError("state_dir", "must not be empty");
  if (m.etcd_members != 1 && m.etcd_members != 3) {
    return KeyError("etcd.members", absl::StrCat("must be 1 or 3, got ", m.etcd_members));
  }
  if (m.nodes < 1 || m.nodes > 64) {
    return KeyError("nodes.count", absl::StrCat("must be between 1 and 64, got ", m.nodes));
  }
  if (m.lease_ttl_s < 2) return KeyError("nodes.lease_ttl_s", "must be at least 2");
  if (m.cluster.empty() ||
      m.cluster.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
          std::string::npos) {
    return KeyError("nodes.cluster",
                    absl::StrCat("\"", m.cluster, "\": use letters, digits, '-', '_' and '.'"));
  }
  for (const auto& [what, value] :
       std::vector<std::pair<std::string, std::string>>{{"gateway.listen", m.gateway_listen},
                                                        {"prometheus.listen", m.prometheus_listen},
                                                        {"dashboard.listen", m.dashboard_listen}}) {
    if (absl::Status s = config::CheckHostPort(what, value); !s.ok()) return s;
  }
  if (m.gateway_tls && m.insecure) {
    return KeyError("gateway.tls", "needs the run's certificates, which insecure turns off");
  }
  if (m.gateway && m.gateway_listen == m.dashboard_listen) {
    return KeyError("dashboard.listen", "must differ from gateway.listen");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ResourceSpec>> BuildResources(const AppModel& m, const Wiring& w,
                                                         PortPlan* plan) {
  // Ports first, so every resource can be told every address.
  std::vector<std::string> keys;
  if (!m.embedded) {
    for (int i = 0; i < m.etcd_members; ++i) {
      keys.push_back(absl::StrCat("etcd-", i, ".client"));
      keys.push_back(absl::StrCat("etcd-", i, ".peer"));
    }
  }
  for (int i = 0; i < m.nodes; ++i) {
    keys.push_back(absl::StrCat("node-", i, ".grpc"));
    keys.push_back(absl::StrCat("node-", i, ".admin"));
  }
  for (const std::string& k : keys) {
    if (plan->ports.count(k)) continue;
    absl::StatusOr<int> port = w.free_port();
    if (!port.ok()) return port.status();
    plan->ports[k] = *port;
  }

  std::vector<ResourceSpec> out;
  std::vector<std::string> etcd_names;
  std::vector<std::string> etcd_urls;
  if (!m.embedded) {
    std::vector<std::string> initial;
    for (int i = 0; i < m.etcd_members; ++i) {
      const std::string name = absl::StrCat("etcd-", i);
      auto peer = Port(*plan, name + ".peer");
      auto client = Port(*plan, name + ".client");
      if (!peer.ok()) return peer.status();
      if (!client.ok()) return client.status();
      initial.push_back(absl::StrCat(name, "=", Scheme(w), "://", Loopback(*peer)));
      etcd_urls.push_back(absl::StrCat(Scheme(w), "://", Loopback(*client)));
      etcd_names.push_back(name);
    }
    for (int i = 0; i < m.etcd_members; ++i) {
      const std::string name = etcd_names[i];
      const std::string peer =
          absl::StrCat(Scheme(w), "://", Loopback(plan->ports[name + ".peer"]));
      ResourceSpec r;
      r.name = name;
      r.kind = "etcd";
      r.argv = {m.etcd_binary,
                "--name",
                name,
                "--data-dir",
                absl::StrCat(m.state_dir, "/", name),
                "--listen-client-urls",
                etcd_urls[i],
                "--advertise-client-urls",
                etcd_urls[i],
                "--listen-peer-urls",
                peer,
                "--initial-advertise-peer-urls",
                peer,
                "--initial-cluster",
                absl::StrJoin(initial, ","),
                "--initial-cluster-token",
                absl::StrCat("idgen-up-", m.cluster),
                "--initial-cluster-state",
                "new",
                "--log-level",
                "warn"};
      if (w.pki != nullptr) {
        // Clients and peers alike must present a certificate from the CA.
        const std::string cert = w.pki->cert_file("etcd");
        const std::string key = w.pki->key_file("etcd");
        const std::string ca = w.pki->ca_file();
        r.argv.insert(r.argv.end(),
                      {"--cert-file", cert, "--key-file", key, "--trusted-ca-file", ca,
                       "--client-cert-auth", "--peer-cert-file", cert, "--peer-key-file", key,
                       "--peer-trusted-ca-file", ca, "--peer-client-cert-auth"});
      }
      // Members of one cluster start together: none waits for the others.
      r.health_url = etcd_urls[i] + "/health";
      r.endpoints = {{"client", etcd_urls[i]}};
      out.push_back(std::move(r));
    }
  }

  std::vector<std::string> node_names;
  std::vector<std::string> node_addrs;
  for (int i = 0; i < m.nodes; ++i) {
    const std::string name = absl::StrCat("node-", i);
    const std::string grpc = Loopback(plan->ports[name + ".grpc"]);
    const std::string admin = Loopback(plan->ports[name + ".admin"]);
    ResourceSpec r;
    r.name = name;
    r.kind = "node";
    r.argv = {w.idgen_binary, "serve"};
    r.env = {{"IDGEN_LISTEN", grpc},
             {"IDGEN_ADMIN_LISTEN", admin},
             {"IDGEN_NODE_NAME", name},
             {"IDGEN_STATE_DIR", absl::StrCat(m.state_dir, "/nodes")},
             {"OTEL_SERVICE_NAME", "idgen-node"},
             {"OTEL_RESOURCE_ATTRIBUTES", absl::StrCat("service.instance.id=", name)}};
    if (w.pki != nullptr) {
      r.env.emplace_back("IDGEN_TLS_CERT", w.pki->cert_file("node"));
      r.env.emplace_back("IDGEN_TLS_KEY", w.pki->key_file("node"));
      r.env.emplace_back("IDGEN_TLS_CLIENT_CA", w.pki->ca_file());  // required
    }
    if (!m.embedded) {
      r.env.emplace_back("IDGEN_ETCD", absl::StrJoin(etcd_urls, ","));
      if (w.pki != nullptr) {
        r.env.emplace_back("IDGEN_ETCD_CACERT", w.pki->ca_file());
        r.env.emplace_back("IDGEN_ETCD_CERT", w.pki->cert_file("node"));
        r.env.emplace_back("IDGEN_ETCD_KEY", w.pki->key_file("node"));
      }
      r.env.emplace_back("IDGEN_CLUSTER", m.cluster);
      r.env.emplace_back("IDGEN_LEASE_TTL", absl::StrCat(m.lease_ttl_s));
      r.depends_on = etcd_names;
    }
    if (!m.node_config.empty()) r.env.emplace_back("IDGEN_CONFIG", m.node_config);
    AddTelemetryEnv(w, "node", &r);
    r.health_url = absl::StrCat(Scheme(w), "://", admin, "/health");
    r.endpoints = {{"grpc", grpc}, {"admin", absl::StrCat(Scheme(w), "://", admin, "/info")}};
    node_names.push_back(name);
    node_addrs.push_back(grpc);
    out.push_back(std::move(r));
  }

  if (m.gateway) {
    ResourceSpec r;
    r.name = "gateway";
    r.kind = "gateway";
    r.argv = {w.idgen_binary, "gateway"};
    r.env = {{"IDGEN_GATEWAY_LISTEN", m.gateway_listen},
             {"IDGEN_BACKENDS", absl::StrJoin(node_addrs, ",")},
             {"OTEL_SERVICE_NAME", "idgen-gateway"}};
    if (w.pki != nullptr) {
      r.env.emplace_back("IDGEN_BACKEND_TLS_CA", w.pki->ca_file());
      r.env.emplace_back("IDGEN_BACKEND_TLS_CERT", w.pki->cert_file("gateway"));
      r.env.emplace_back("IDGEN_BACKEND_TLS_KEY", w.pki->key_file("gateway"));
      // Every node's certificate carries it (one name for all: see the
      // gateway's --backend-tls-server-name).
      r.env.emplace_back("IDGEN_BACKEND_TLS_SERVER_NAME", "localhost");
    }
    if (m.gateway_tls && w.pki != nullptr) {
      r.env.emplace_back("IDGEN_TLS_CERT", w.pki->cert_file("gateway"));
      r.env.emplace_back("IDGEN_TLS_KEY", w.pki->key_file("gateway"));
    }
    AddTelemetryEnv(w, "gateway", &r);
    // The gateway is useful once one node serves; it waits for all of them
    // at start so the first request does not land on a node still claiming.
    r.depends_on = node_names;
    const std::string rest =
        absl::StrCat(m.gateway_tls && w.pki != nullptr ? "https" : "http", "://", m.gateway_listen);
    r.health_url = rest + "/health";
    r.endpoints = {{"api", rest + "/v1/ids"},
                   {"swagger", rest + "/docs"},
                   {"openapi", rest + "/openapi.json"}};
    out.push_back(std::move(r));
  }

  if (m.prometheus) {
    ResourceSpec r;
    r.name = "prometheus";
    r.kind = "prometheus";
    r.argv = {m.prometheus_binary, absl::StrCat("--config.file=", m.state_dir, "/prometheus.yml"),
              absl::StrCat("--storage.tsdb.path=", m.state_dir, "/prometheus"),
              absl::StrCat("--web.listen-address=", m.prometheus_listen)};
    r.depends_on = node_names;
    r.health_url = absl::StrCat("http://", m.prometheus_listen, "/-/ready");
    r.endpoints = {{"ui", absl::StrCat("http://", m.prometheus_listen, "/")}};
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::string> CertificateNames(const AppModel& m) {
  std::vector<std::string> names = {"apphost", "node"};
  if (!m.embedded) names.emplace_back("etcd");
  if (m.gateway) names.emplace_back("gateway");
  if (m.prometheus) names.emplace_back("prometheus");
  return names;
}

std::string PrometheusConfig(const AppModel& m, const PortPlan& plan, const LocalPki* pki) {
  std::vector<std::string> nodes;
  for (int i = 0; i < m.nodes; ++i) {
    auto it = plan.ports.find(absl::StrCat("node-", i, ".admin"));
    if (it != plan.ports.end()) nodes.push_back(absl::StrCat("'", Loopback(it->second), "'"));
  }
  // Over HTTPS, presenting Prometheus's own leaf (the admin ports require one).
  std::string tls;
  if (pki != nullptr) {
    tls = absl::StrCat("    scheme: https\n    tls_config:\n      ca_file: '", pki->ca_file(),
                       "'\n      cert_file: '", pki->cert_file("prometheus"),
                       "'\n      key_file: '", pki->key_file("prometheus"), "'\n");
  }
  std::string out = absl::StrCat(
      "# Written by `idgen up`; regenerated at every start.\n"
      "global:\n  scrape_interval: 5s\n"
      "scrape_configs:\n"
      "  - job_name: idgen-node\n",
      tls, "    static_configs:\n      - targets: [", absl::StrJoin(nodes, ", "), "]\n");
  if (m.gateway) {
    absl::StrAppend(&out, "  - job_name: idgen-gateway\n",
                    m.gateway_tls && pki != nullptr ? tls : "",
                    "    static_configs:\n      - targets: ['", m.gateway_listen, "']\n");
  }
  return out;
}

}  // namespace idgen::apphost
