// Copyright idgen authors.
#include "src/telemetry/process_metrics.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "src/telemetry/meter.h"

namespace idgen::telemetry {

std::optional<ProcessMemory> ParseStatm(std::string_view text, int64_t page_size) {
  std::vector<absl::string_view> fields = absl::StrSplit(
      absl::string_view(text.data(), text.size()), absl::ByAnyChar(" \n"), absl::SkipEmpty());
  int64_t size_pages = 0;
  int64_t resident_pages = 0;
  if (fields.size() < 2 || page_size <= 0 || !absl::SimpleAtoi(fields[0], &size_pages) ||
      !absl::SimpleAtoi(fields[1], &resident_pages) || size_pages < 0 || resident_pages < 0) {
    return std::nullopt;
  }
  return ProcessMemory{resident_pages * page_size, size_pages * page_size};
}

std::optional<ProcessMemory> ReadProcessMemory() {
  std::ifstream in("/proc/self/statm");
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return ParseStatm(text.str(), sysconf(_SC_PAGESIZE));
}

void RegisterProcessMetrics(Meter* meter) {
  meter->CreateObservableGauge("process.memory.usage", "Resident memory of the process (RSS)", "By",
                               [](Observer& o) {
                                 if (auto m = ReadProcessMemory()) o.Observe(m->resident_bytes);
                               });
  meter->CreateObservableGauge("process.memory.virtual", "Virtual memory of the process", "By",
                               [](Observer& o) {
                                 if (auto m = ReadProcessMemory()) o.Observe(m->virtual_bytes);
                               });
}

}  // namespace idgen::telemetry
