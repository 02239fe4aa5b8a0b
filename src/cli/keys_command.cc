// Copyright idgen authors.
//
// `idgen keys new --name NAME --scopes a,b [--namespaces x,y]
//  [--ids-per-second N [--burst N]]`: prints a fresh API key once on stdout
// (first line) and, after a blank line, the JSON entry to add to the
// --auth-keys file (its SHA-256 only). Exit 2 for a bad flag.
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "src/auth/new_key.h"
#include "src/cli/commands.h"

namespace idgen::cli {
namespace {

struct KeysNewArgs {
  std::string name;
  std::string scopes;
  std::string namespaces;
  std::optional<double> ids_per_second;
  std::optional<double> burst;
};

std::vector<std::string> List(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    out.emplace_back(absl::StripAsciiWhitespace(part));
  }
  return out;
}

int RunKeysNew(const KeysNewArgs& a) {
  auth::NewKeyRequest request;
  request.name = a.name;
  request.scopes = List(a.scopes);
  if (!a.namespaces.empty()) request.namespaces = List(a.namespaces);
  request.ids_per_second = a.ids_per_second;
  request.burst = a.burst;
  absl::StatusOr<auth::NewKey> key = auth::MakeNewKey(request);
  if (!key.ok()) {
    std::cerr << "idgen keys new: " << key.status().message() << "\n";
    return key.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  std::cout << key->key << "\n\n" << key->entry_json << "\n";
  std::cerr << "idgen keys new: the key above is shown once; give it to the caller and add the "
               "entry to the \"keys\" list of the --auth-keys file\n";
  return 0;
}

}  // namespace

void AddKeysCommand(CLI::App& app, int* exit_code) {
  CLI::App* keys = app.add_subcommand("keys", "API keys for --auth-keys files");
  keys->require_subcommand(1);
  auto args = std::make_shared<KeysNewArgs>();
  CLI::App* n = keys->add_subcommand(
      "new", "Print a fresh random API key once, and the key-file entry that admits it");
  n->add_option("--name", args->name, "Entry name (the caller in metrics and logs)")
      ->required()
      ->envname("IDGEN_KEY_NAME");
  n->add_option("--scopes", args->scopes,
                "Comma-separated scopes: ids:generate, ids:decode, info, admin")
      ->required()
      ->envname("IDGEN_KEY_SCOPES");
  n->add_option("--namespaces", args->namespaces,
                "Comma-separated namespaces the key may use (default: all)")
      ->envname("IDGEN_KEY_NAMESPACES");
  CLI::Option* rate =
      n->add_option("--ids-per-second", args->ids_per_second,
                    "The caller's quota in IDs per second (default: no per-caller limit)")
          ->envname("IDGEN_KEY_IDS_PER_SECOND");
  n->add_option("--burst", args->burst,
                "IDs the caller may take at once (default: one second of --ids-per-second)")
      ->envname("IDGEN_KEY_BURST")
      ->needs(rate);
  n->callback([args, exit_code] { *exit_code = RunKeysNew(*args); });
}

}  // namespace idgen::cli
