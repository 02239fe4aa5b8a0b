// Copyright idgen authors.
//
// The `idgen` binary: parses the subcommand and hands over to src/cli.
#include <iostream>

#include <CLI/CLI.hpp>

#include "absl/synchronization/mutex.h"
#include "src/cli/commands.h"
#include "src/cli/file_limit.h"

namespace {

int Run(int argc, char** argv) {
  CLI::App app{"idgen: distributed, fenced, clock-safe ID generation"};
  app.set_version_flag("--version", std::string("idgen ") + IDGEN_VERSION);
  app.require_subcommand(1);
  int exit_code = 0;
  idgen::cli::AddDecodeCommand(app, &exit_code);
  idgen::cli::AddLayoutCommand(app, &exit_code);
  idgen::cli::AddGenerateCommand(app, &exit_code);
  idgen::cli::AddServeCommand(app, &exit_code);
  idgen::cli::AddGatewayCommand(app, &exit_code);
  idgen::cli::AddBenchCommand(app, &exit_code);
  idgen::cli::AddUpCommand(app, &exit_code);
  idgen::cli::AddClientCommands(app, &exit_code);
  idgen::cli::AddWorkersCommand(app, &exit_code);
  idgen::cli::AddKeysCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::cerr << "idgen: " << e.what() << "\n"
              << "Run with --help for usage.\n";
    return 2;
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's abseil is built with mutex deadlock detection on: every
  // absl::Mutex operation inside gRPC then updates a global lock graph
  // (GraphCycles: 3% of a node's CPU under load, measured with perf). It is a
  // debugging aid, off in abseil's own optimised builds; our own locks are
  // idgen::Mutex, checked by TSan and the thread-safety analysis instead.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Servers hold a descriptor per connection: use the whole hard limit.
  idgen::cli::RaiseFileLimit();
  // Expected failures are statuses; an exception reaching here is a bug or an
  // allocation failure. Say so on one line instead of aborting silently.
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "idgen: internal error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "idgen: internal error\n";
  }
  return 1;
}
