// Copyright idgen authors.
//
// `idgen layout [PRESET]`: validates a layout and prints its limits.
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "src/cli/commands.h"
#include "src/cli/layout_flags.h"

namespace idgen::cli {
namespace {

struct LayoutArgs {
  bool json = false;
  std::string positional;
  LayoutFlags layout;
};

int RunLayout(LayoutArgs& a) {
  if (!a.positional.empty()) *a.layout.preset() = a.positional;
  absl::StatusOr<Layout> layout = a.layout.Resolve();
  if (!layout.ok()) {
    std::cerr << "idgen layout: " << layout.status().message() << "\n";
    return 2;
  }
  const absl::Time end = layout->time_runs_out();
  const std::string runs_out =
      end == absl::InfiniteFuture() ? "never" : Iso8601(absl::ToUnixMillis(end));
  if (a.json) {
    nlohmann::json j = {
        {"name", layout->spec().name},
        {"time_bits", layout->time_bits()},
        {"worker_bits", layout->worker_bits()},
        {"sequence_bits", layout->sequence_bits()},
        {"unit_ms", layout->unit_ms()},
        {"epoch_ms", layout->epoch_unix_ms()},
        {"epoch", Iso8601(layout->epoch_unix_ms())},
        {"workers", layout->max_worker() + 1},
        {"ids_per_second_per_worker", layout->ids_per_second_per_worker()},
        {"max_id", std::to_string(layout->max_id())},
        {"time_runs_out", runs_out},
        {"fits_in_js_number", layout->max_id() < (uint64_t{1} << 53)},
    };
    if (end != absl::InfiniteFuture()) j["time_runs_out_ms"] = absl::ToUnixMillis(end);
    std::cout << j.dump() << "\n";
  } else {
    std::cout << layout->Describe() << "\n"
              << absl::StrFormat("workers              %d\n", layout->max_worker() + 1)
              << absl::StrFormat("IDs/s per worker     %.0f\n", layout->ids_per_second_per_worker())
              << absl::StrFormat("max id               %d\n", layout->max_id())
              << "time bits run out    " << runs_out << "\n"
              << "fits a JS number     " << (layout->max_id() < (uint64_t{1} << 53) ? "yes" : "no")
              << "\n";
  }
  return 0;
}

}  // namespace

void AddLayoutCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<LayoutArgs>();
  CLI::App* cmd = app.add_subcommand("layout", "Validate a layout and print its limits");
  cmd->add_option("preset", args->positional, "Preset name (twitter, sonyflake, js53)");
  cmd->add_flag("--json", args->json, "Print one JSON object");
  args->layout.AddTo(cmd);
  cmd->callback([args, exit_code] { *exit_code = RunLayout(*args); });
}

}  // namespace idgen::cli
