// Copyright idgen authors.
#include "src/server/memory_trimmer.h"

#include <malloc.h>

#include <utility>

#include "src/telemetry/process_metrics.h"

namespace idgen::server {

MemoryTrimmer::ResidentFn MemoryTrimmer::ProcessResident() {
  return []() -> std::optional<int64_t> {
    std::optional<telemetry::ProcessMemory> m = telemetry::ReadProcessMemory();
    if (!m.has_value()) return std::nullopt;
    return m->resident_bytes;
  };
}

MemoryTrimmer::TrimFn MemoryTrimmer::AllocatorTrim() {
  return [] { malloc_trim(0); };
}

MemoryTrimmer::MemoryTrimmer(Options options, ResidentFn resident, TrimFn trim)
    : options_(options), resident_(std::move(resident)), trim_(std::move(trim)) {
  if (options_.period <= absl::ZeroDuration()) return;
  thread_ = std::thread([this] {
    while (!stop_.WaitForNotificationWithTimeout(options_.period)) TrimIfAbove();
  });
}

MemoryTrimmer::~MemoryTrimmer() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

bool MemoryTrimmer::TrimIfAbove() {
  const std::optional<int64_t> resident = resident_();
  if (!resident.has_value() || *resident <= options_.threshold_bytes) return false;
  trim_();
  trims_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

}  // namespace idgen::server
