// Copyright idgen authors.
//
// `idgen decode ID`: splits a snowflake-family ID into its fields, offline.
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "idgen/codec.h"
#include "src/cli/commands.h"
#include "src/cli/layout_flags.h"

namespace idgen::cli {
namespace {

struct DecodeArgs {
  std::string id;
  std::string format = "decimal";
  bool json = false;
  LayoutFlags layout;
};

int RunDecode(const DecodeArgs& a) {
  absl::StatusOr<IdFormat> format = ParseIdFormat(a.format);
  if (!format.ok()) {
    std::cerr << "idgen decode: " << format.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<uint64_t> id = ParseId(a.id, *format);
  if (!id.ok()) {
    std::cerr << "idgen decode: " << id.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<Layout> layout = a.layout.Resolve();
  if (!layout.ok()) {
    std::cerr << "idgen decode: " << layout.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<DecodedId> d = layout->DecodeChecked(*id);
  if (!d.ok()) {
    std::cerr << "idgen decode: " << d.status().message() << "\n";
    return 2;
  }
  if (a.json) {
    nlohmann::json j = {
        {"id", std::to_string(*id)},
        {"timestamp_ms", d->timestamp_ms},
        {"timestamp", Iso8601(d->timestamp_ms)},
        {"tick", d->tick},
        {"worker", d->worker},
        {"sequence", d->sequence},
        {"layout", layout->spec().name},
    };
    std::cout << j.dump() << "\n";
  } else {
    std::cout << "id         " << *id << "\n"
              << "timestamp  " << Iso8601(d->timestamp_ms) << " (" << d->timestamp_ms << " ms)\n"
              << "worker     " << d->worker << "\n"
              << "sequence   " << d->sequence << "\n"
              << "layout     " << layout->Describe() << "\n";
  }
  return 0;
}

}  // namespace

void AddDecodeCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<DecodeArgs>();
  CLI::App* cmd = app.add_subcommand("decode", "Split a snowflake ID into time, worker, sequence");
  cmd->add_option("id", args->id, "The ID to decode")->required();
  cmd->add_option("--format", args->format, "Text form of ID: decimal, hex, base62, base32")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Print one JSON object");
  args->layout.AddTo(cmd);
  cmd->callback([args, exit_code] { *exit_code = RunDecode(*args); });
}

}  // namespace idgen::cli
