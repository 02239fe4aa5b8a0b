// Copyright idgen authors.
#include "src/telemetry/batch_processor.h"

#include <atomic>
#include <chrono>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace idgen::telemetry {
namespace {

TEST(BatchProcessorTest, ExportsInBatchesAndFlushesOnShutdown) {
  std::atomic<int> total{0};
  std::atomic<int> max_batch{0};
  {
    BatchProcessor<int> p(
        {.schedule_delay = absl::Hours(1), .max_queue_size = 100, .max_export_batch_size = 10},
        [&](std::vector<int>& batch) {
          total += static_cast<int>(batch.size());
          max_batch = std::max(max_batch.load(), static_cast<int>(batch.size()));
          return absl::OkStatus();
        });
    for (int i = 0; i < 35; ++i) p.Add(int{i});
    p.Shutdown();
    EXPECT_EQ(p.exported(), 35u);
    EXPECT_EQ(p.dropped(), 0u);
  }
  EXPECT_EQ(total, 35);
  EXPECT_LE(max_batch, 10);
}

// A hanging exporter: producers never wait, the queue stays bounded and the
// overflow is counted.
TEST(BatchProcessorTest, HangingExporterDropsInsteadOfBlocking) {
  absl::Notification release;
  absl::Notification exporting;
  BatchProcessor<int> p(
      {.schedule_delay = absl::Milliseconds(1), .max_queue_size = 8, .max_export_batch_size = 4},
      [&](std::vector<int>&) {
        if (!exporting.HasBeenNotified()) exporting.Notify();
        release.WaitForNotification();
        return absl::UnavailableError("collector down");
      });
  p.Add(0);
  exporting.WaitForNotification();  // the worker is now stuck in export
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) p.Add(int{i});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::milliseconds(500));  // generous: nothing waits on export
  EXPECT_EQ(p.dropped(), 1000u - 8u);                  // the queue holds 8, the rest is dropped
  release.Notify();
  p.Shutdown();
  // Every item is accounted for: the stuck one failed; the 8 queued either
  // failed or were dropped when the shutdown flush stopped at a failure.
  EXPECT_EQ(p.exported(), 0u);
  EXPECT_GE(p.failed(), 1u);
  EXPECT_EQ(p.failed() + p.dropped(), 1001u);
  const uint64_t dropped = p.dropped();
  p.Add(1);  // after shutdown: dropped, no crash
  EXPECT_EQ(p.dropped(), dropped + 1);
}

TEST(BatchProcessorTest, ScheduleDelayExportsPartialBatches) {
  absl::Notification got;
  BatchProcessor<int> p(
      {.schedule_delay = absl::Milliseconds(5), .max_queue_size = 100, .max_export_batch_size = 50},
      [&](std::vector<int>& batch) {
        if (!batch.empty() && !got.HasBeenNotified()) got.Notify();
        return absl::OkStatus();
      });
  p.Add(1);
  EXPECT_TRUE(got.WaitForNotificationWithTimeout(absl::Seconds(10)));
}

}  // namespace
}  // namespace idgen::telemetry
