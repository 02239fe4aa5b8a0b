// Copyright idgen authors.
//
// libFuzzer target: the app file of `idgen up --app FILE` (ParseAppModel,
// then ValidateAppModel, BuildResources and PrometheusConfig, as `idgen up`
// runs them).
// Promises checked (app_model.h, json_fields.h):
//   * never an exception or a crash: a bad file is INVALID_ARGUMENT;
//   * a model that parses and validates keeps its documented ranges and
//     builds resources with distinct names whose dependencies come first,
//     a port for every one of them, and a Prometheus config.
//
// Run:  build/fuzz/bin/app_model_fuzz -max_total_time=60 CORPUS_DIR fuzz/corpus/app_model_fuzz
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "fuzz/fuzz_check.h"
#include "src/apphost/app_model.h"

namespace idgen {
namespace {

void CheckBuilt(const apphost::AppModel& m) {
  FUZZ_CHECK(m.etcd_members == 1 || m.etcd_members == 3, "members %d", m.etcd_members);
  FUZZ_CHECK(m.nodes >= 1 && m.nodes <= 64, "nodes %d", m.nodes);
  FUZZ_CHECK(m.lease_ttl_s >= 2 && m.lease_ttl_s <= 3600, "lease ttl %d", m.lease_ttl_s);
  int next_port = 20000;
  apphost::Wiring wiring;
  wiring.idgen_binary = "/usr/bin/idgen";
  wiring.otlp_endpoint = "http://127.0.0.1:4318";
  wiring.free_port = [&next_port]() -> absl::StatusOr<int> { return next_port++; };
  apphost::PortPlan plan;
  const absl::StatusOr<std::vector<apphost::ResourceSpec>> resources =
      apphost::BuildResources(m, wiring, &plan);
  FUZZ_CHECK(resources.ok(), "a valid model does not build: %s",
             resources.status().ToString().c_str());
  std::set<std::string> started;
  for (const apphost::ResourceSpec& r : *resources) {
    FUZZ_CHECK(!r.name.empty() && !r.argv.empty(), "resource %s", r.name.c_str());
    for (const std::string& dep : r.depends_on) {
      FUZZ_CHECK(started.count(dep) == 1, "%s depends on %s, not started before it", r.name.c_str(),
                 dep.c_str());
    }
    FUZZ_CHECK(started.insert(r.name).second, "resource %s twice", r.name.c_str());
  }
  for (const auto& [name, port] : plan.ports) {
    FUZZ_CHECK(port >= 20000 && port < next_port, "port %s = %d", name.c_str(), port);
  }
  FUZZ_CHECK(!apphost::PrometheusConfig(m, plan).empty(), "empty Prometheus config");
}

}  // namespace
}  // namespace idgen

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<idgen::apphost::AppModel> m = idgen::apphost::ParseAppModel(text);
  if (!m.ok()) {
    FUZZ_CHECK(m.status().code() == absl::StatusCode::kInvalidArgument, "%s",
               m.status().ToString().c_str());
    return 0;
  }
  if (const absl::Status s = idgen::apphost::ValidateAppModel(*m); !s.ok()) {
    FUZZ_CHECK(s.code() == absl::StatusCode::kInvalidArgument, "%s", s.ToString().c_str());
    return 0;
  }
  idgen::CheckBuilt(*m);
  return 0;
}
