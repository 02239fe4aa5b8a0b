// Copyright idgen authors.
//
// The subcommands of the `idgen` binary. Each Add*Command registers one
// subcommand on `app`; when it is chosen, its callback runs it and stores the
// process exit code in *exit_code (0 ok, 1 runtime failure, 2 bad input).
#ifndef IDGEN_CLI_COMMANDS_H_
#define IDGEN_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace idgen::cli {

void AddDecodeCommand(CLI::App& app, int* exit_code);
void AddLayoutCommand(CLI::App& app, int* exit_code);
void AddGenerateCommand(CLI::App& app, int* exit_code);
void AddServeCommand(CLI::App& app, int* exit_code);
void AddGatewayCommand(CLI::App& app, int* exit_code);
void AddBenchCommand(CLI::App& app, int* exit_code);
void AddUpCommand(CLI::App& app, int* exit_code);
// `idgen next` and `idgen info`: the CLI client (client_commands.cc).
void AddClientCommands(CLI::App& app, int* exit_code);
// `idgen workers`: who holds which worker id on etcd (workers_command.cc).
void AddWorkersCommand(CLI::App& app, int* exit_code);
// idgen keys new: a fresh API key and its key-file entry.
void AddKeysCommand(CLI::App& app, int* exit_code);

}  // namespace idgen::cli

#endif  // IDGEN_CLI_COMMANDS_H_
