// Copyright idgen authors.
//
// Process metrics every idgen process reports (OpenTelemetry semantic
// conventions 1.26, "process" namespace):
//   process.memory.usage     gauge, By: resident set size (Prometheus
//                            process_memory_usage_bytes)
//   process.memory.virtual   gauge, By: virtual memory size
// Read from /proc/self/statm at each collection; nothing when it cannot be
// read (not Linux).
#ifndef IDGEN_TELEMETRY_PROCESS_METRICS_H_
#define IDGEN_TELEMETRY_PROCESS_METRICS_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace idgen::telemetry {

class Meter;

struct ProcessMemory {
  int64_t resident_bytes = 0;
  int64_t virtual_bytes = 0;
};

// Parses the text of /proc/PID/statm ("size resident shared ..." in pages).
// nullopt for anything else.
std::optional<ProcessMemory> ParseStatm(std::string_view text, int64_t page_size);

// This process's memory, or nullopt when /proc/self/statm cannot be read.
std::optional<ProcessMemory> ReadProcessMemory();

// Registers the gauges above on `meter` (which they must not outlive).
void RegisterProcessMetrics(Meter* meter);

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_PROCESS_METRICS_H_
