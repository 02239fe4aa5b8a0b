// Copyright idgen authors.
//
// The CLI client, on the client library (idgen::client::Client):
//   idgen next --target ADDR [--namespace NS] [--count N] [--format F]
//   idgen info --target ADDR [--json]
// Both take the calling TLS flags (--tls-ca, --tls-cert, --tls-key,
// --tls-server-name) and --timeout. Exit 0 with the answer, 1 when the call
// fails (the node's code and message on stderr), 2 for bad flags.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "idgen/client/client.h"
#include "idgen/codec.h"
#include "idgen/ulid_generator.h"
#include "idgen/uuidv7_generator.h"
#include "src/cli/commands.h"
#include "src/cli/flag_checks.h"
#include "src/cli/tls_flags.h"

namespace idgen::cli {
namespace {

struct ClientArgs {
  std::string target;
  double timeout_s = 5;
  TlsClientFlags tls;
  std::string api_key_file;  // else IDGEN_API_KEY
};

struct NextArgs {
  ClientArgs client;
  std::string ns;
  int64_t count = 1;
  std::string format = "decimal";
};

struct InfoArgs {
  ClientArgs client;
  bool json = false;
};

// The client for `a`, or nullopt after printing why (exit 2).
std::optional<client::Client> MakeClient(const char* command, const ClientArgs& a) {
  client::ClientOptions o;
  o.target = a.target;
  o.deadline = std::chrono::milliseconds(static_cast<int64_t>(a.timeout_s * 1000));
  o.tls.ca_file = a.tls.ca;
  o.tls.cert_file = a.tls.cert;
  o.tls.key_file = a.tls.key;
  o.tls.server_name = a.tls.server_name;
  o.tls.check_key_permissions = !SkipKeyPermissionCheck();
  o.user_agent = "idgen-cli";
  o.api_key_file = a.api_key_file;
  if (const char* key = std::getenv("IDGEN_API_KEY"); key != nullptr && a.api_key_file.empty()) {
    o.api_key = key;
  }
  client::StatusOr<client::Client> c = client::Client::Create(o);
  if (!c.ok()) {
    std::string message = c.status().message();
    // Name the flags, not the library's fields.
    for (const auto& [field, flag] :
         {std::pair<std::string, std::string>{"tls.ca_file", "--tls-ca"},
          {"tls.cert_file", "--tls-cert"},
          {"tls.key_file", "--tls-key"},
          {"tls.server_name", "--tls-server-name"},
          {"deadline", "--timeout"},
          {"api_key_file", "--api-key-file"},
          {"api_key", "IDGEN_API_KEY"}}) {
      for (size_t at = message.find(field); at != std::string::npos; at = message.find(field)) {
        message.replace(at, field.size(), flag);
      }
    }
    std::cerr << "idgen " << command << ": " << message << "\n";
    return std::nullopt;
  }
  return *std::move(c);
}

int CallFailed(const char* command, const client::Status& s) {
  std::cerr << "idgen " << command << ": " << s.ToString() << "\n";
  return 1;
}

// The scheme of `ns` as the node reports it; "" when unknown (the node
// then answers for itself).
std::string SchemeOf(const client::Client& c, const std::string& ns) {
  if (ns.empty()) return "";
  client::StatusOr<client::NodeInfo> info = c.GetInfo();
  if (!info.ok()) return "";
  for (const client::NamespaceInfo& n : info->namespaces) {
    if (n.name == ns) return n.scheme;
  }
  return "";
}

int RunNext(const NextArgs& a) {
  const bool json = a.format == "json";
  std::optional<IdFormat> format;
  if (!json) {
    absl::StatusOr<IdFormat> f = ParseIdFormat(a.format);
    if (!f.ok()) {
      std::cerr << "idgen next: --format must be decimal, hex, base62, base32 or json, not \""
                << a.format << "\"\n";
      return 2;
    }
    format = *f;
  }
  std::optional<client::Client> c = MakeClient("next", a.client);
  if (!c) return 2;
  const auto count = static_cast<uint32_t>(a.count);
  const std::string scheme = SchemeOf(*c, a.ns);
  std::vector<std::string> texts;
  if (scheme == "uuidv7" || scheme == "ulid") {
    if (format && *format != IdFormat::kDecimal) {
      std::cerr << "idgen next: --format " << a.format << " is for 64-bit IDs; " << a.ns << " is a "
                << scheme << " namespace (printed in its own text form)\n";
      return 2;
    }
    client::StatusOr<std::vector<Id128>> ids = c->NextIds128(a.ns, count);
    if (!ids.ok()) return CallFailed("next", ids.status());
    for (const Id128& id : *ids)
      texts.push_back(scheme == "ulid" ? FormatUlid(id) : FormatUuid(id));
  } else {
    client::StatusOr<std::vector<uint64_t>> ids = c->NextIds(a.ns, count);
    if (!ids.ok()) return CallFailed("next", ids.status());
    for (uint64_t id : *ids) texts.push_back(FormatId(id, format.value_or(IdFormat::kDecimal)));
  }
  if (json) {
    nlohmann::json out = {{"namespace", a.ns.empty() ? "default" : a.ns}, {"ids", texts}};
    if (!scheme.empty()) out["scheme"] = scheme;
    std::cout << out.dump() << "\n";
  } else {
    for (const std::string& t : texts) std::cout << t << "\n";
  }
  return 0;
}

int RunInfo(const InfoArgs& a) {
  std::optional<client::Client> c = MakeClient("info", a.client);
  if (!c) return 2;
  client::StatusOr<client::NodeInfo> info = c->GetInfo();
  if (!info.ok()) return CallFailed("info", info.status());
  if (a.json) {
    nlohmann::json ns = nlohmann::json::array();
    for (const client::NamespaceInfo& n : info->namespaces) {
      ns.push_back({{"name", n.name}, {"scheme", n.scheme}, {"max_batch", n.max_batch}});
    }
    std::cout << nlohmann::json{{"node", info->node},
                                {"worker_id", info->worker_id},
                                {"worker_id_min", info->worker_id_min},
                                {"worker_id_max", info->worker_id_max},
                                {"serving", info->serving},
                                {"not_serving_reason", info->not_serving_reason},
                                {"version", info->version},
                                {"namespaces", ns}}
                     .dump()
              << "\n";
    return 0;
  }
  std::cout << "node        " << info->node << "\n"
            << "worker id   " << info->worker_id << " (of " << info->worker_id_min << "-"
            << info->worker_id_max << ")\n"
            << "serving     " << (info->serving ? "yes" : "no (" + info->not_serving_reason + ")")
            << "\n"
            << "version     " << info->version << "\n"
            << "namespaces ";
  for (const client::NamespaceInfo& n : info->namespaces) {
    std::cout << " " << n.name << " (" << n.scheme << ", max_batch " << n.max_batch << ")";
  }
  std::cout << "\n";
  return 0;
}

void AddClientFlags(CLI::App* cmd, ClientArgs* a) {
  cmd->add_option("--target", a->target,
                  "Node address: HOST:PORT, dns:///HOST:PORT, ipv4:H1:P1,H2:P2 or unix:PATH")
      ->required()
      ->envname("IDGEN_TARGET");
  cmd->add_option("--timeout", a->timeout_s, "Seconds allowed for the call, retries included")
      ->check(CLI::Range(0.001, 3600.0))
      ->capture_default_str();
  AddTlsClientFlags(cmd, &a->tls, "--tls-", "", "the node's");
  cmd->add_option("--api-key-file", a->api_key_file,
                  "File whose first line is the API key to send (nodes with --auth-keys); "
                  "without it, the key in IDGEN_API_KEY, if set")
      ->envname("IDGEN_API_KEY_FILE");
}

}  // namespace

void AddClientCommands(CLI::App& app, int* exit_code) {
  auto next = std::make_shared<NextArgs>();
  CLI::App* n = app.add_subcommand("next", "Take IDs from a node (through the client library)");
  AddClientFlags(n, &next->client);
  n->add_option("--namespace", next->ns, "Namespace; empty = the node's default");
  n->add_option("--count", next->count, "How many IDs, 1..1000000")
      ->check(WholeNumberIn(1, 1'000'000))
      ->capture_default_str();
  n->add_option("--format", next->format, "decimal, hex, base62, base32 or json")
      ->capture_default_str();
  n->callback([next, exit_code] { *exit_code = RunNext(*next); });

  auto info = std::make_shared<InfoArgs>();
  CLI::App* i = app.add_subcommand("info", "Show what a node is and serves (GetInfo)");
  AddClientFlags(i, &info->client);
  i->add_flag("--json", info->json, "One JSON object");
  i->callback([info, exit_code] { *exit_code = RunInfo(*info); });
}

}  // namespace idgen::cli
