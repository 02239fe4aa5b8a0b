// Copyright idgen authors.
#include "src/server/server_config.h"

#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/base/status_macros.h"
#include "src/config/json_fields.h"

namespace idgen::server {
namespace {

using config::CheckKeys;
using config::GetInt;
using config::Json;
using config::KeyError;

[[nodiscard]] absl::StatusOr<Layout> ParseLayout(const Json& v, const std::string& path,
                                                 absl::Time now) {
  if (v.is_string()) {
    absl::StatusOr<Layout> l = Layout::Preset(v.get<std::string>());
    if (!l.ok()) return KeyError(path, std::string(l.status().message()));
    return l;
  }
  IDGEN_RETURN_IF_ERROR(CheckKeys(
      v, path, {"preset", "time_bits", "worker_bits", "sequence_bits", "unit_ms", "epoch_ms"}));
  LayoutSpec spec = Layout::Twitter().spec();
  if (v.contains("preset")) {
    if (!v["preset"].is_string()) return KeyError(path + ".preset", "must be a string");
    absl::StatusOr<Layout> l = Layout::Preset(v["preset"].get<std::string>());
    if (!l.ok()) return KeyError(path + ".preset", std::string(l.status().message()));
    spec = l->spec();
  }
  spec.name = v.contains("preset") && v.size() == 1 ? spec.name : "custom";
  auto t = GetInt(v, "time_bits", path, 1, 63, spec.time_bits);
  auto w = GetInt(v, "worker_bits", path, 0, 32, spec.worker_bits);
  auto q = GetInt(v, "sequence_bits", path, 0, 32, spec.sequence_bits);
  auto u = GetInt(v, "unit_ms", path, 1, 3'600'000, spec.unit_ms);
  auto e = GetInt(v, "epoch_ms", path, 0, INT64_MAX, spec.epoch_unix_ms);
  for (const auto* r : {&t, &w, &q, &u, &e}) {
    if (!r->ok()) return r->status();
  }
  spec.time_bits = static_cast<int>(*t);
  spec.worker_bits = static_cast<int>(*w);
  spec.sequence_bits = static_cast<int>(*q);
  spec.unit_ms = *u;
  spec.epoch_unix_ms = *e;
  absl::StatusOr<Layout> l = Layout::Create(spec, now);
  if (!l.ok()) return KeyError(path, std::string(l.status().message()));
  return l;
}

constexpr const char* kSegmentKeys[] = {"store",    "start",   "step",
                                        "max_step", "load_at", "max_value"};
// Segment values stay below 2^63 so that every store keeps them as a signed
// 64-bit integer (segment::kMaxSegmentValue).
constexpr int64_t kMaxSegmentValue = INT64_MAX - 1;
constexpr int64_t kMaxSegmentStep = 1'000'000'000;

[[nodiscard]] absl::StatusOr<SegmentConfig> ParseSegment(const Json& v, const std::string& path) {
  SegmentConfig c;
  IDGEN_ASSIGN_OR_RETURN(c.store, config::GetString(v, "store", path, ""));
  if (!c.store.empty() && c.store != "etcd" && c.store != "sqlite" && c.store != "postgres") {
    return KeyError(path + ".store", absl::StrCat("unknown store \"", c.store,
                                                  "\"; use etcd (needs --etcd), sqlite (the "
                                                  "state dir) or postgres (needs "
                                                  "--segment-postgres)"));
  }
  IDGEN_ASSIGN_OR_RETURN(auto max_value, GetInt(v, "max_value", path, 1, kMaxSegmentValue,
                                                static_cast<int64_t>(c.max_value)));
  IDGEN_ASSIGN_OR_RETURN(auto start,
                         GetInt(v, "start", path, 0, max_value, static_cast<int64_t>(c.start)));
  IDGEN_ASSIGN_OR_RETURN(auto step,
                         GetInt(v, "step", path, 1, kMaxSegmentStep, static_cast<int64_t>(c.step)));
  IDGEN_ASSIGN_OR_RETURN(auto max_step, GetInt(v, "max_step", path, 1, kMaxSegmentStep,
                                               std::max(static_cast<int64_t>(c.max_step),
                                                        static_cast<int64_t>(step))));
  if (max_step < step) {
    return KeyError(path + ".max_step",
                    absl::StrCat("must be at least step (", step, "), got ", max_step));
  }
  if (v.contains("load_at")) {
    const Json& l = v["load_at"];
    if (!l.is_number() || !(l.get<double>() > 0.0 && l.get<double>() < 1.0)) {
      return KeyError(path + ".load_at",
                      absl::StrCat("must be a number between 0 and 1 (exclusive), got ", l.dump()));
    }
    c.load_at = l.get<double>();
  }
  c.start = static_cast<uint64_t>(start);
  c.step = static_cast<uint64_t>(step);
  c.max_step = static_cast<uint64_t>(max_step);
  c.max_value = static_cast<uint64_t>(max_value);
  return c;
}

[[nodiscard]] absl::StatusOr<NamespaceConfig> ParseNamespace(const Json& v, const std::string& path,
                                                             absl::Time now) {
  std::set<std::string> allowed = {"name", "scheme", "layout", "max_batch", "clock"};
  allowed.insert(std::begin(kSegmentKeys), std::end(kSegmentKeys));
  IDGEN_RETURN_IF_ERROR(CheckKeys(v, path, allowed));
  NamespaceConfig ns;
  if (!v.contains("name") || !v["name"].is_string()) {
    return KeyError(path + ".name", "is required and must be a string");
  }
  ns.name = v["name"].get<std::string>();
  if (absl::Status s = ValidateNamespaceName(ns.name); !s.ok()) {
    return KeyError(path + ".name", std::string(s.message()));
  }
  // The type first: value() throws on a scheme that is not a string.
  if (v.contains("scheme") && !v["scheme"].is_string()) {
    return KeyError(path + ".scheme", "must be a string");
  }
  const std::string scheme = v.value("scheme", std::string("snowflake"));
  if (scheme == "snowflake") {
    ns.scheme = Scheme::kSnowflake;
  } else if (scheme == "uuidv7") {
    ns.scheme = Scheme::kUuidV7;
  } else if (scheme == "ulid") {
    ns.scheme = Scheme::kUlid;
  } else if (scheme == "segment") {
    ns.scheme = Scheme::kSegment;
  } else {
    return KeyError(path + ".scheme", absl::StrCat("unknown scheme \"", scheme,
                                                   "\"; use snowflake, uuidv7, ulid or segment"));
  }
  if (ns.scheme != Scheme::kSegment) {
    for (const char* key : kSegmentKeys) {
      if (v.contains(key)) {
        return KeyError(absl::StrCat(path, ".", key),
                        absl::StrCat("applies only to segment namespaces, not ", scheme));
      }
    }
  } else {
    IDGEN_ASSIGN_OR_RETURN(ns.segment, ParseSegment(v, path));
  }
  if (ns.scheme != Scheme::kSnowflake) {
    for (const char* key : {"layout", "clock"}) {
      if (v.contains(key)) {
        return KeyError(absl::StrCat(path, ".", key),
                        absl::StrCat("applies only to snowflake namespaces, not ", scheme));
      }
    }
  }
  if (v.contains("layout")) {
    IDGEN_ASSIGN_OR_RETURN(Layout l, ParseLayout(v["layout"], path + ".layout", now));
    ns.layout = l;
  }
  IDGEN_ASSIGN_OR_RETURN(auto max_batch,
                         GetInt(v, "max_batch", path, 1, kMaxBatchLimit, ns.max_batch));
  ns.max_batch = static_cast<uint32_t>(max_batch);
  if (v.contains("clock")) {
    const Json& c = v["clock"];
    const std::string cp = path + ".clock";
    IDGEN_RETURN_IF_ERROR(CheckKeys(c, cp, {"max_wait_ms", "max_borrow_ms"}));
    auto wait =
        GetInt(c, "max_wait_ms", cp, 0, 60'000, absl::ToInt64Milliseconds(ns.clock.max_wait));
    auto borrow = GetInt(c, "max_borrow_ms", cp, 0, 3'600'000,
                         absl::ToInt64Milliseconds(ns.clock.max_borrow));
    if (!wait.ok()) return wait.status();
    if (!borrow.ok()) return borrow.status();
    if (*borrow < *wait) {
      return KeyError(cp, absl::StrCat("max_borrow_ms (", *borrow,
                                       ") must be at least max_wait_ms (", *wait, ")"));
    }
    ns.clock.max_wait = absl::Milliseconds(*wait);
    ns.clock.max_borrow = absl::Milliseconds(*borrow);
  }
  return ns;
}

}  // namespace

std::string SchemeName(Scheme s) {
  switch (s) {
    case Scheme::kSnowflake:
      return "snowflake";
    case Scheme::kUuidV7:
      return "uuidv7";
    case Scheme::kUlid:
      return "ulid";
    case Scheme::kSegment:
      return "segment";
  }
  return "unknown";
}

absl::Status ValidateNamespaceName(const std::string& name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("namespace name must be 1..64 characters, got ", name.size()));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "namespace name \"", name, "\" has an invalid character at position ", i,
          "; use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit"));
    }
  }
  return absl::OkStatus();
}

ServerConfig DefaultServerConfig() {
  ServerConfig c;
  NamespaceConfig def;
  def.name = "default";
  c.namespaces.push_back(def);
  NamespaceConfig uuid;
  uuid.name = "uuidv7";
  uuid.scheme = Scheme::kUuidV7;
  c.namespaces.push_back(uuid);
  NamespaceConfig ulid;
  ulid.name = "ulid";
  ulid.scheme = Scheme::kUlid;
  c.namespaces.push_back(ulid);
  return c;
}

namespace {

[[nodiscard]] absl::StatusOr<ServerConfig> ParseServerConfigJson(const Json& root, absl::Time now) {
  IDGEN_RETURN_IF_ERROR(CheckKeys(root, "", {"namespaces", "reservation_ahead_ms"}));
  ServerConfig config;
  IDGEN_ASSIGN_OR_RETURN(auto ahead, GetInt(root, "reservation_ahead_ms", "", 500, 600'000,
                                            absl::ToInt64Milliseconds(config.reservation_ahead)));
  config.reservation_ahead = absl::Milliseconds(ahead);
  if (!root.contains("namespaces") || !root["namespaces"].is_array() ||
      root["namespaces"].empty()) {
    return KeyError("namespaces", "is required: a non-empty array of namespaces");
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < root["namespaces"].size(); ++i) {
    const std::string path = absl::StrCat("namespaces[", i, "]");
    IDGEN_ASSIGN_OR_RETURN(NamespaceConfig ns, ParseNamespace(root["namespaces"][i], path, now));
    if (!seen.insert(ns.name).second) {
      return KeyError(path + ".name", absl::StrCat("duplicate namespace \"", ns.name, "\""));
    }
    config.namespaces.push_back(std::move(ns));
  }
  return config;
}

}  // namespace

absl::StatusOr<ServerConfig> ParseServerConfig(const std::string& json_text, absl::Time now) {
  absl::StatusOr<ServerConfig> c = [&]() -> absl::StatusOr<ServerConfig> {
    IDGEN_ASSIGN_OR_RETURN(Json root, config::ParseJson(json_text));
    return ParseServerConfigJson(root, now);
  }();
  if (!c.ok())
    return absl::Status(c.status().code(), absl::StrCat("config: ", c.status().message()));
  return c;
}

absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path, absl::Time now) {
  absl::StatusOr<std::string> text = config::ReadTextFile(path);
  if (!text.ok()) {
    return absl::Status(text.status().code(), absl::StrCat("config ", text.status().message()));
  }
  absl::StatusOr<ServerConfig> c = ParseServerConfig(*text, now);
  if (!c.ok()) {
    return absl::Status(c.status().code(), absl::StrCat(path, ": ", c.status().message()));
  }
  return c;
}

}  // namespace idgen::server
