// Copyright idgen authors.
//
// libFuzzer target: the namespace config file of `idgen serve --config`
// (ParseServerConfig: comments, duplicate keys, layouts, clock policies and
// the segment keys store/start/step/max_step/load_at/max_value).
// Promises checked (server_config.h, json_fields.h):
//   * never an exception or a crash: every bad file is INVALID_ARGUMENT
//     whose message starts with "config: ";
//   * an accepted config keeps every value in its documented range:
//     1..n namespaces with valid, distinct names; max_batch 1..1,000,000;
//     reservation ahead 500 ms..600 s; clock wait <= borrow; a segment's
//     start <= max_value, 1 <= step <= max_step and 0 < load_at < 1;
//     snowflake layouts that Layout::Create accepts.
//
// Run:  build/fuzz/bin/namespace_config_fuzz -max_total_time=60 CORPUS_DIR \
//         fuzz/corpus/namespace_config_fuzz
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "fuzz/fuzz_check.h"
#include "src/server/server_config.h"

namespace idgen {
namespace {

void Check(const server::ServerConfig& c, absl::Time now) {
  FUZZ_CHECK(!c.namespaces.empty(), "no namespaces");
  FUZZ_CHECK(c.reservation_ahead >= absl::Milliseconds(500) &&
                 c.reservation_ahead <= absl::Milliseconds(600'000),
             "reservation ahead %s", absl::FormatDuration(c.reservation_ahead).c_str());
  std::set<std::string> names;
  for (const server::NamespaceConfig& ns : c.namespaces) {
    FUZZ_CHECK(server::ValidateNamespaceName(ns.name).ok(), "name %s", ns.name.c_str());
    FUZZ_CHECK(names.insert(ns.name).second, "name %s twice", ns.name.c_str());
    FUZZ_CHECK(ns.max_batch >= 1 && ns.max_batch <= server::kMaxBatchLimit, "max_batch %u",
               ns.max_batch);
    FUZZ_CHECK(
        ns.clock.max_wait >= absl::ZeroDuration() && ns.clock.max_wait <= ns.clock.max_borrow,
        "clock wait %s borrow %s", absl::FormatDuration(ns.clock.max_wait).c_str(),
        absl::FormatDuration(ns.clock.max_borrow).c_str());
    const server::SegmentConfig& s = ns.segment;
    FUZZ_CHECK(s.store.empty() || s.store == "etcd" || s.store == "sqlite" || s.store == "postgres",
               "store %s", s.store.c_str());
    FUZZ_CHECK(s.max_value >= 1 && s.max_value <= static_cast<uint64_t>(INT64_MAX - 1) &&
                   s.start <= s.max_value,
               "start %llu max_value %llu", static_cast<unsigned long long>(s.start),
               static_cast<unsigned long long>(s.max_value));
    FUZZ_CHECK(s.step >= 1 && s.step <= s.max_step, "step %llu max_step %llu",
               static_cast<unsigned long long>(s.step),
               static_cast<unsigned long long>(s.max_step));
    FUZZ_CHECK(s.load_at > 0.0 && s.load_at < 1.0, "load_at %f", s.load_at);
    // The layout a node would build from it must be acceptable again.
    const absl::StatusOr<Layout> again = Layout::Create(ns.layout.spec(), now);
    FUZZ_CHECK(again.ok(), "layout %s: %s", ns.layout.spec().name.c_str(),
               again.status().ToString().c_str());
  }
}

}  // namespace
}  // namespace idgen

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A fixed "now", so that a crash reproduces whatever the day.
  const absl::Time now = absl::FromUnixMillis(1'767'225'600'000);  // 2026-01-01
  const std::string text(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<idgen::server::ServerConfig> c = idgen::server::ParseServerConfig(text, now);
  if (!c.ok()) {
    FUZZ_CHECK(c.status().code() == absl::StatusCode::kInvalidArgument, "%s",
               c.status().ToString().c_str());
    FUZZ_CHECK(absl::StartsWith(c.status().message(), "config: "), "%s",
               c.status().ToString().c_str());
    return 0;
  }
  idgen::Check(*c, now);
  return 0;
}
