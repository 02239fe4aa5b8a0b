// Copyright idgen authors.
//
// libFuzzer target: the gateway's backend list (`--backends`,
// IDGEN_BACKENDS): SplitBackendList, then ResolveBackends, which parses
// every entry (HOST:PORT, [IPv6]:PORT, unix:PATH, dns:///NAME:PORT) through
// src/config's endpoint and host:port checks.
// Promises checked (backend_config.h):
//   * never a crash; a bad list is INVALID_ARGUMENT;
//   * an accepted list gives one target per backend, all of one scheme
//     (ipv4:, ipv6:, unix: or dns:), and a balanced target that joins them;
//   * every resolved address, given back as a backend, resolves to itself
//     (what the gateway dials is what the user meant, canonically);
//   * no two targets are the same.
//
// Run:  build/fuzz/bin/backend_list_fuzz -max_total_time=60 CORPUS_DIR \
//         fuzz/corpus/backend_list_fuzz
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "fuzz/fuzz_check.h"
#include "src/gateway/backend_config.h"

namespace idgen {
namespace {

std::string_view SchemeOf(std::string_view target) {
  for (std::string_view s : {"ipv4:", "ipv6:", "unix:", "dns:"}) {
    if (target.substr(0, s.size()) == s) return s;
  }
  return "";
}

void Check(const std::vector<std::string>& list, const gateway::BackendTargets& t) {
  FUZZ_CHECK(t.each.size() == list.size() && t.names == list, "%zu targets for %zu backends",
             t.each.size(), list.size());
  const std::string_view scheme = SchemeOf(t.balanced);
  FUZZ_CHECK(!scheme.empty(), "balanced target %s", t.balanced.c_str());
  std::set<std::string> seen;
  for (const std::string& each : t.each) {
    FUZZ_CHECK(SchemeOf(each) == scheme, "%s in a %s list", each.c_str(),
               std::string(scheme).c_str());
    FUZZ_CHECK(seen.insert(each).second, "%s twice", each.c_str());
    FUZZ_CHECK(absl::StrContains(t.balanced, each.substr(scheme.size())), "%s not in %s",
               each.c_str(), t.balanced.c_str());
    if (scheme == "dns:") continue;
    // Given back as a backend, the address resolves to itself.
    const std::string again_entry =
        scheme == "unix:" ? each : std::string(each.substr(scheme.size()));
    const absl::StatusOr<gateway::BackendTargets> again = gateway::ResolveBackends({again_entry});
    FUZZ_CHECK(again.ok() && again->each.size() == 1 && again->each[0] == each,
               "%s does not resolve to itself: %s", each.c_str(),
               again.ok() ? again->each[0].c_str() : again.status().ToString().c_str());
  }
}

}  // namespace
}  // namespace idgen

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> list = idgen::gateway::SplitBackendList(text);
  for (const std::string& item : list) {
    FUZZ_CHECK(!item.empty() && item.find(',') == std::string::npos, "item \"%s\"", item.c_str());
  }
  const absl::StatusOr<idgen::gateway::BackendTargets> t = idgen::gateway::ResolveBackends(list);
  if (!t.ok()) {
    FUZZ_CHECK(t.status().code() == absl::StatusCode::kInvalidArgument, "%s",
               t.status().ToString().c_str());
    return 0;
  }
  idgen::Check(list, *t);
  return 0;
}
