// Copyright idgen authors.
//
// `idgen generate --scheme uuidv7|ulid --count N [--json]`: makes IDs in this
// process (SystemClock, OsRandom), without a server.
//
// Output: one ID per line in canonical text (UUID lowercase 8-4-4-4-12, ULID
// uppercase Crockford base32), or with --json one line
//   {"scheme":"uuidv7","ids":[{"id":"<text>","timestamp_ms":<int>},...]}
// IDs are strictly increasing (as text, too) within one run.
//
// Exit codes, stored in *exit_code: 0 ok; 2 bad input (unknown scheme, count
// outside 1..1000000), with one line on stderr; 1 runtime failure (timestamp
// beyond year 10889, stdout not writable).
#ifndef IDGEN_CLI_GENERATE_COMMAND_H_
#define IDGEN_CLI_GENERATE_COMMAND_H_

#include <CLI/CLI.hpp>

namespace idgen::cli {

// Registers the `generate` subcommand on `app`. `exit_code` must outlive parsing.
void AddGenerateCommand(CLI::App& app, int* exit_code);

}  // namespace idgen::cli

#endif  // IDGEN_CLI_GENERATE_COMMAND_H_
