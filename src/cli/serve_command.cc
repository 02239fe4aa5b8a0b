// Copyright idgen authors.
//
// `idgen serve`: runs one ID node until SIGTERM/SIGINT.
#include <csignal>
#include <iostream>
#include <memory>
#include <optional>

#include "absl/time/clock.h"
#include "src/cli/commands.h"
#include "src/coord/file_lease_provider.h"
#include "src/server/node.h"

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

int RunServe(const ServeArgs& a) {
  // Block the shutdown signals before any thread exists, so every thread
  // inherits the mask and only sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  server::NodeOptions options;
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
  std::cerr << "idgen serve: worker " << (*node)->worker_id() << ", gRPC on port "
            << (*node)->grpc_port() << ", admin HTTP on port " << (*node)->admin_port()
            << ", state dir " << a.state_dir << std::endl;

  int sig = 0;
  sigwait(&signals, &sig);
  std::cerr << "idgen serve: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT")
            << ", draining (up to " << a.drain_ms << " ms)" << std::endl;
  (*node)->Shutdown(absl::Milliseconds(a.drain_ms));
  std::cerr << "idgen serve: stopped, worker id released" << std::endl;
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
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-workers", args->max_workers,
                  "Use only worker ids below this (default: what the layouts allow)")
      ->envname("IDGEN_MAX_WORKERS")
      ->check(CLI::PositiveNumber);
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
