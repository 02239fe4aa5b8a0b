// Copyright idgen authors.
//
// AppModel: what `idgen up` runs, with defaults built in, a JSON file to
// override them (--app FILE; comments allowed, unknown keys rejected) and
// flags that override both. BuildResources turns a model into the resources
// the Supervisor runs, wiring addresses and telemetry through environment
// variables.
//
// File format (every key optional):
//   {
//     "state_dir": ".idgen/up",
//     "insecure": false,                   // true: plaintext between the processes
//     "coordination": "etcd",              // or "embedded" (file leases)
//     "etcd":       {"members": 1, "binary": "etcd"},          // 1 or 3 members
//     "nodes":      {"count": 3, "config": "namespaces.json",
//                    "cluster": "local", "lease_ttl_s": 10},
//     "gateway":    {"enabled": true, "listen": "127.0.0.1:8080",
//                    "tls": false},                  // true: REST over HTTPS
//     "prometheus": {"enabled": false, "binary": "prometheus",
//                    "listen": "127.0.0.1:9090"},
//     "dashboard":  {"listen": "127.0.0.1:18888"}
//   }
#ifndef IDGEN_APPHOST_APP_MODEL_H_
#define IDGEN_APPHOST_APP_MODEL_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/apphost/local_pki.h"
#include "src/apphost/resource.h"

namespace idgen::apphost {

struct AppModel {
  std::string state_dir = ".idgen/up";
  bool embedded = false;  // file leases instead of etcd
  int etcd_members = 1;
  std::string etcd_binary = "etcd";
  int nodes = 3;
  std::string node_config;  // namespace config file for every node
  std::string cluster = "local";
  int lease_ttl_s = 10;
  bool gateway = true;
  std::string gateway_listen = "127.0.0.1:8080";
  bool prometheus = false;
  std::string prometheus_binary = "prometheus";
  std::string prometheus_listen = "127.0.0.1:9090";
  std::string dashboard_listen = "127.0.0.1:18888";
  // Unless insecure, every link between the processes is mutual TLS with
  // certificates from the run's LocalPki; the gateway's REST listener and
  // the dashboard stay plain HTTP on loopback unless gateway_tls.
  bool insecure = false;
  bool gateway_tls = false;
};

// Parses an app file over `m` (so defaults stay for absent keys). Errors
// name the key path ("nodes.count: must be between 1 and 64, got 0").
absl::StatusOr<AppModel> ParseAppModel(const std::string& json_text, AppModel m = {});
absl::StatusOr<AppModel> LoadAppModel(const std::string& path, AppModel base = {});
// Cross-field checks (listen addresses, members 1 or 3, ...).
absl::Status ValidateAppModel(const AppModel& model);

// Loopback ports the AppHost chose for the resources (kept in the state dir
// so a restarted `idgen up` finds etcd's members where it left them).
struct PortPlan {
  std::map<std::string, int> ports;  // "etcd-0.client", "node-1.grpc", ...
};

struct Wiring {
  std::string idgen_binary;  // path of this binary, for nodes and gateway
  // http://127.0.0.1:PORT (https:// with a pki), or empty: no telemetry export
  std::string otlp_endpoint;
  // The run's certificates; null when the model is insecure. Every process
  // gets the leaf named after its kind ("etcd", "node", "gateway",
  // "prometheus"); the AppHost's own probes use "apphost".
  const LocalPki* pki = nullptr;
  // Returns a free loopback port.
  std::function<absl::StatusOr<int>()> free_port;
};

// Fills `plan` with any port it lacks (via wiring.free_port) and returns the
// resources in start order: etcd members, nodes, gateway, Prometheus.
absl::StatusOr<std::vector<ResourceSpec>> BuildResources(const AppModel& model,
                                                         const Wiring& wiring, PortPlan* plan);

// The namespace config `idgen up` gives its nodes when the model names none
// (nodes.config): the built-in namespaces of `idgen serve` (default, uuidv7,
// ulid) plus `orders`, a segment namespace on the nodes' default store
// (etcd, or with embedded coordination SQLite in the nodes' state dir).
// Written to <state_dir>/namespaces.json at each start.
std::string DefaultUpNamespacesJson();

// The names of the leaf certificates BuildResources uses for `model`.
std::vector<std::string> CertificateNames(const AppModel& model);

// The Prometheus config for the model (scrapes every node's admin port and
// the gateway) given the plan; over mutual TLS with `pki`'s "prometheus"
// leaf when `pki` is not null.
std::string PrometheusConfig(const AppModel& model, const PortPlan& plan,
                             const LocalPki* pki = nullptr);

}  // namespace idgen::apphost

#endif  // IDGEN_APPHOST_APP_MODEL_H_
