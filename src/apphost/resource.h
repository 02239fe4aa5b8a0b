// Copyright idgen authors.
//
// ResourceSpec: one process of the distributed application as the AppHost
// runs it (an etcd member, an ID node, the gateway, Prometheus): how to start
// it, how to tell it is healthy, what it depends on, what to show.
#ifndef IDGEN_APPHOST_RESOURCE_H_
#define IDGEN_APPHOST_RESOURCE_H_

#include <string>
#include <utility>
#include <vector>

namespace idgen::apphost {

struct ResourceSpec {
  std::string name;  // unique: "etcd-0", "node-1", "gateway", "prometheus"
  std::string kind;  // "etcd", "node", "gateway", "prometheus"
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
  // GET this URL; 200 means healthy.
  std::string health_url;
  // Names of resources that must be healthy before this one starts.
  std::vector<std::string> depends_on;
  // What to show: label -> URL (or address).
  std::vector<std::pair<std::string, std::string>> endpoints;
};

}  // namespace idgen::apphost

#endif  // IDGEN_APPHOST_RESOURCE_H_
