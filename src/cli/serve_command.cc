// Copyright idgen authors.
//
// `idgen serve`: runs one ID node until SIGTERM/SIGINT.
#include <csignal>
#include <iostream>
#include <memory>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "src/cli/commands.h"
#include "src/coord/file_lease_provider.h"
#include "src/server/node.h"
#include "src/telemetry/telemetry.h"
#include "src/telemetry/telemetry_config.h"

namespace idgen::cli {
namespace {

struct ServeArgs {
  std::string listen = "127.0.0.1:50051";
  std::string admin_listen = "127.0.0.1:9464";
  std::string state_dir = ".idgen/state";
  std::string config;
  std::string node_name;
  std::optional<int64_t> worker_id;
  std::optional<int64_t> max_workers;
  int64_t drain_ms = 5000;
};

// HOST:PORT or [IPv6]:PORT with a port in 0..65535; both servers would reject
// anything else, but later and less clearly.
absl::Status CheckListen(const std::string& flag, const std::string& value) {
  const size_t colon = value.rfind(':');
  bool ok = colon != std::string::npos && colon > 0 && colon + 1 < value.size();
  int port = -1;
  if (ok) {
    ok = absl::SimpleAtoi(absl::string_view(value).substr(colon + 1), &port) && port >= 0 &&
         port <= 65535;
  }
  if (ok && value[0] == '[') ok = value[colon - 1] == ']';
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " \"", value, "\": expected HOST:PORT with a port in 0..65535"));
  }
  return absl::OkStatus();
}

// CLI11's own number validators print doubles with 300 digits; this one says
// plainly what is allowed.
CLI::Validator WholeNumberAtLeast(int64_t min) {
  return CLI::Validator(
      [min](std::string& value) -> std::string {
        int64_t n = 0;
        if (!absl::SimpleAtoi(value, &n) || n < min) {
          return absl::StrCat("must be a whole number >= ", min, ", got \"", value, "\"");
        }
        return "";
      },
      absl::StrCat("INT>=", min));
}

int RunServe(const ServeArgs& a) {
  for (const auto& [flag, value] : {std::pair<std::string, std::string>{"--listen", a.listen},
                                    {"--admin-listen", a.admin_listen}}) {
    if (absl::Status s = CheckListen(flag, value); !s.ok()) {
      std::cerr << "idgen serve: " << s.message() << "\n";
      return 2;
    }
  }

  // Block the shutdown signals before any thread exists, so every thread
  // inherits the mask and only sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  // Telemetry from the OTEL_* environment; bad values were turned into
  // warnings, which Create logs once, and defaults.
  telemetry::Telemetry::Options tel_options;
  tel_options.service_version = IDGEN_VERSION;
  tel_options.extra_resource.emplace_back("service.instance.id",
                                          a.node_name.empty() ? a.listen : a.node_name);
  std::unique_ptr<telemetry::Telemetry> tel = telemetry::Telemetry::Create(
      telemetry::ParseTelemetryConfig(telemetry::ProcessEnv(), "idgen-serve"),
      std::move(tel_options));
  telemetry::Logger& log = tel->logger();

  server::NodeOptions options;
  options.telemetry = tel.get();
  options.listen = a.listen;
  options.admin_listen = a.admin_listen;
  options.node_name = a.node_name;
  options.worker_id = a.worker_id;
  options.max_workers = a.max_workers;
  if (!a.config.empty()) {
    absl::StatusOr<server::ServerConfig> config = server::LoadServerConfig(a.config, absl::Now());
    if (!config.ok()) {
      std::cerr << "idgen serve: " << config.status().message() << "\n";
      return 2;
    }
    options.config = *std::move(config);
  }
  absl::StatusOr<std::unique_ptr<coord::FileLeaseProvider>> leases =
      coord::FileLeaseProvider::Create(a.state_dir);
  if (!leases.ok()) {
    std::cerr << "idgen serve: " << leases.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<std::unique_ptr<server::Node>> node =
      server::Node::Create(options, leases->get(), SystemClock::Get());
  if (!node.ok()) {
    std::cerr << "idgen serve: " << node.status().message() << "\n";
    return node.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  if (absl::Status s = (*node)->Start(); !s.ok()) {
    std::cerr << "idgen serve: " << s.message() << "\n";
    return 1;
  }
  log.Info(absl::StrCat("idgen serve: worker ", (*node)->worker_id(), ", gRPC on port ",
                        (*node)->grpc_port(), ", admin HTTP on port ", (*node)->admin_port(),
                        ", state dir ", a.state_dir),
           {{"idgen.worker.id", (*node)->worker_id()},
            {"grpc.port", int64_t{(*node)->grpc_port()}},
            {"admin.port", int64_t{(*node)->admin_port()}}});

  int sig = 0;
  sigwait(&signals, &sig);
  log.Info(absl::StrCat("idgen serve: ", (sig == SIGTERM ? "SIGTERM" : "SIGINT"),
                        ", draining (up to ", a.drain_ms, " ms)"));
  (*node)->Shutdown(absl::Milliseconds(a.drain_ms));
  log.Info("idgen serve: stopped, worker id released");
  // Last metrics export and span/log flush, while the node's metric
  // callbacks can still be read.
  tel->Shutdown();
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "Run an ID node (gRPC API + admin HTTP)");
  cmd->add_option("--listen", args->listen, "gRPC address, HOST:PORT (port 0: any free port)")
      ->envname("IDGEN_LISTEN")
      ->capture_default_str();
  cmd->add_option("--admin-listen", args->admin_listen, "Admin HTTP address (/health, /alive)")
      ->envname("IDGEN_ADMIN_LISTEN")
      ->capture_default_str();
  cmd->add_option("--state-dir", args->state_dir,
                  "Directory for worker-id locks and time reservations")
      ->envname("IDGEN_STATE_DIR")
      ->capture_default_str();
  cmd->add_option("--worker-id", args->worker_id, "Claim this worker id (fails if taken)")
      ->envname("IDGEN_WORKER_ID")
      ->check(WholeNumberAtLeast(0));
  cmd->add_option("--max-workers", args->max_workers,
                  "Use only worker ids below this (default: what the layouts allow)")
      ->envname("IDGEN_MAX_WORKERS")
      ->check(WholeNumberAtLeast(1));
  cmd->add_option("--config", args->config, "Namespace config file (JSON, see docs/API.md)")
      ->envname("IDGEN_CONFIG");
  cmd->add_option("--node-name", args->node_name, "Name shown in GetInfo (default: hostname)")
      ->envname("IDGEN_NODE_NAME");
  cmd->add_option("--drain-timeout-ms", args->drain_ms, "How long shutdown waits for calls")
      ->envname("IDGEN_DRAIN_TIMEOUT_MS")
      ->check(CLI::Range(int64_t{0}, int64_t{600'000}))
      ->capture_default_str();
  cmd->callback([args, exit_code] { *exit_code = RunServe(*args); });
}

}  // namespace idgen::cli
