// Copyright idgen authors.
//
// `idgen workers --etcd URLS --cluster NAME [--json]`: which node holds which
// worker id of a cluster on etcd, how long its lease has left, and the time
// reservation of every id (ids with a reservation but no holder are free;
// a new holder starts after the reservation). Read-only. Takes the same etcd
// TLS and authentication flags as `idgen serve`. Exit 0 with the table, 1
// when etcd cannot be read, 2 for bad flags.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "src/cli/commands.h"
#include "src/cli/etcd_flags.h"
#include "src/cli/tls_flags.h"
#include "src/coord/etcd_client.h"
#include "src/coord/etcd_values.h"

namespace idgen::cli {
namespace {

struct WorkersArgs {
  std::string etcd;
  std::string cluster;
  bool json = false;
  double timeout_s = 5;
  EtcdSecurityFlags security;
};

struct Worker {
  std::optional<nlohmann::json> holder;  // the workers/<id> value
  int64_t lease = 0;
  int64_t ttl_left_s = -1;
  std::optional<int64_t> reserved_until_ms;
};

std::string Iso(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

int RunWorkers(const WorkersArgs& a) {
  auto fail = [](const std::string& message, int code) {
    std::cerr << "idgen workers: " << message << "\n";
    return code;
  };
  if (a.cluster.empty()) return fail("--cluster must not be empty", 2);
  absl::StatusOr<std::vector<std::string>> endpoints = ParseEtcdEndpoints(a.etcd);
  if (!endpoints.ok()) return fail(std::string(endpoints.status().message()), 2);
  coord::EtcdClient::Options options;
  options.dial_timeout = absl::Seconds(a.timeout_s);
  options.call_timeout = absl::Seconds(a.timeout_s);
  const char* password = std::getenv("IDGEN_ETCD_PASSWORD");
  if (absl::Status s = ApplyEtcdSecurity(
          a.security, *endpoints,
          password == nullptr ? std::nullopt : std::optional<std::string>(password),
          !SkipKeyPermissionCheck(), absl::Now(), &options);
      !s.ok()) {
    return fail(std::string(s.message()), 2);
  }
  absl::StatusOr<std::unique_ptr<coord::EtcdClient>> client =
      coord::EtcdClient::Create(*endpoints, options);
  if (!client.ok()) return fail(std::string(client.status().message()), 1);

  const std::string prefix = absl::StrCat("/idgen/", a.cluster, "/");
  std::map<int64_t, Worker> workers;
  for (const char* kind : {"workers/", "reservations/"}) {
    const std::string p = prefix + kind;
    absl::StatusOr<std::vector<coord::EtcdKeyValue>> kvs =
        (*client)->Range(p, coord::EtcdClient::PrefixEnd(p));
    if (!kvs.ok()) return fail(std::string(kvs.status().message()), 1);
    for (const coord::EtcdKeyValue& kv : *kvs) {
      const std::optional<int64_t> id = coord::WorkerIdOfKey(kv.key, p);
      if (!id) continue;  // not ours
      Worker& w = workers[*id];
      if (std::string(kind) == "workers/") {
        nlohmann::json holder =
            nlohmann::json::parse(kv.value, nullptr, /*allow_exceptions=*/false);
        w.holder = holder.is_discarded() ? nlohmann::json{{"raw", kv.value}} : holder;
        w.lease = kv.lease;
        if (kv.lease != 0) {
          absl::StatusOr<int64_t> ttl = (*client)->LeaseTimeToLive(kv.lease);
          if (ttl.ok()) w.ttl_left_s = *ttl;
        }
      } else {
        absl::StatusOr<int64_t> ms = coord::ParseReservationValue(kv.key, kv.value);
        if (ms.ok()) w.reserved_until_ms = *ms;
      }
    }
  }

  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [id, w] : workers) {
      nlohmann::json row = {{"worker_id", id}, {"held", w.holder.has_value()}};
      if (w.holder) {
        row["holder"] = *w.holder;
        row["lease_ttl_left_s"] = w.ttl_left_s;
      }
      if (w.reserved_until_ms) row["reserved_until_ms"] = *w.reserved_until_ms;
      out.push_back(row);
    }
    // A holder value that is not JSON is shown raw, and need not be UTF-8.
    std::cout << nlohmann::json{{"cluster", a.cluster}, {"workers", out}}.dump(
                     -1, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
    return 0;
  }
  std::cout << "cluster " << a.cluster << ": " << workers.size() << " worker id(s) known\n";
  std::printf("%-7s %-20s %-22s %-8s %-9s %s\n", "WORKER", "NODE", "ADDRESS", "PID", "LEASE TTL",
              "RESERVED UNTIL");
  for (const auto& entry : workers) {
    const int64_t id = entry.first;
    const Worker& w = entry.second;
    const auto field = [&w](const char* key) {
      if (!w.holder || !w.holder->contains(key)) return std::string("-");
      const nlohmann::json& v = (*w.holder)[key];
      return v.is_string() ? v.get<std::string>() : v.dump();
    };
    const std::string ttl = w.holder ? absl::StrCat(w.ttl_left_s, " s") : "free";
    std::printf("%-7lld %-20s %-22s %-8s %-9s %s\n", static_cast<long long>(id),
                field("node").c_str(), field("address").c_str(), field("pid").c_str(), ttl.c_str(),
                w.reserved_until_ms ? Iso(*w.reserved_until_ms).c_str() : "-");
  }
  return 0;
}

}  // namespace

void AddWorkersCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<WorkersArgs>();
  CLI::App* cmd = app.add_subcommand(
      "workers", "Which node holds which worker id of a cluster on etcd (read-only)");
  cmd->add_option("--etcd", args->etcd, "etcd endpoints, http(s)://HOST:PORT[,...]")
      ->required()
      ->envname("IDGEN_ETCD");
  cmd->add_option("--cluster", args->cluster, "Cluster name (as the nodes' --cluster)")
      ->required()
      ->envname("IDGEN_CLUSTER");
  cmd->add_option("--timeout", args->timeout_s, "Seconds allowed to reach etcd and per call")
      ->check(CLI::Range(0.1, 600.0))
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "One JSON object");
  AddEtcdSecurityFlags(cmd, &args->security);
  cmd->callback([args, exit_code] { *exit_code = RunWorkers(*args); });
}

}  // namespace idgen::cli
