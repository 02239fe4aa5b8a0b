// Copyright idgen authors.
//
// BatchProcessor<T>: OpenTelemetry's batch processor for any signal (spans,
// log records). Producers Add() items into a bounded queue and never wait:
// when the queue is full the item is dropped and counted. One worker thread
// exports up to max_export_batch_size items whenever that many are queued
// or schedule_delay has passed since the last export, through the export
// function (which should honour its own timeout). Memory is bounded by
// max_queue_size items; a slow or hanging collector only costs drops.
//
// Shutdown() (also from the destructor) exports what is queued, one last
// round (cut short, and the rest dropped, at the first failed export), then
// stops the worker.
//
// Thread-safety: Add, counters and Shutdown may be called concurrently.
// The export function runs on the worker thread only.
#ifndef IDGEN_TELEMETRY_BATCH_PROCESSOR_H_
#define IDGEN_TELEMETRY_BATCH_PROCESSOR_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "idgen/internal/mutex.h"

namespace idgen::telemetry {

struct BatchOptions {
  absl::Duration schedule_delay = absl::Milliseconds(5000);
  size_t max_queue_size = 2048;
  size_t max_export_batch_size = 512;
};

template <typename T>
class BatchProcessor {
 public:
  using ExportFn = std::function<absl::Status(std::vector<T>& batch)>;

  BatchProcessor(BatchOptions options, ExportFn export_fn)
      : options_(Sanitize(options)), export_(std::move(export_fn)) {
    worker_ = std::thread([this] { Run(); });
  }
  ~BatchProcessor() { Shutdown(); }
  BatchProcessor(const BatchProcessor&) = delete;
  BatchProcessor& operator=(const BatchProcessor&) = delete;

  // Never blocks on export; drops (and counts) when the queue is full.
  void Add(T&& item) {
    bool wake = false;
    {
      idgen::MutexLock lock(&mu_);
      if (stopping_ || queue_.size() >= options_.max_queue_size) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      queue_.push_back(std::move(item));
      wake = queue_.size() == options_.max_export_batch_size;
    }
    if (wake) cv_.Signal();
  }

  // Idempotent; a concurrent second caller returns once the first is done.
  void Shutdown() {
    std::call_once(shutdown_once_, [this] {
      {
        idgen::MutexLock lock(&mu_);
        stopping_ = true;
      }
      cv_.Signal();
      worker_.join();
    });
  }

  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  uint64_t exported() const { return exported_.load(std::memory_order_relaxed); }
  uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }

 private:
  static BatchOptions Sanitize(BatchOptions o) {
    if (o.max_queue_size == 0) o.max_queue_size = 1;
    if (o.max_export_batch_size == 0 || o.max_export_batch_size > o.max_queue_size) {
      o.max_export_batch_size = o.max_queue_size;
    }
    if (o.schedule_delay <= absl::ZeroDuration()) o.schedule_delay = absl::Milliseconds(1);
    return o;
  }

  void Run() {
    std::vector<T> batch;
    bool last_round = false;
    while (!last_round) {
      {
        // Waits one schedule_delay (real time: the exporter's pacing), cut
        // short by a full batch or shutdown.
        idgen::MutexLock lock(&mu_);
        bool timed_out = false;
        while (!timed_out && !stopping_ && queue_.size() < options_.max_export_batch_size) {
          timed_out = cv_.WaitFor(options_.schedule_delay);
        }
        last_round = stopping_;
      }
      // Export everything queued now, batch by batch; on shutdown that is
      // the final flush.
      for (;;) {
        batch.clear();
        {
          idgen::MutexLock lock(&mu_);
          const size_t n = std::min(queue_.size(), options_.max_export_batch_size);
          for (size_t i = 0; i < n; ++i) {
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
          }
        }
        if (batch.empty()) break;
        const size_t n = batch.size();
        if (export_(batch).ok()) {
          exported_.fetch_add(n, std::memory_order_relaxed);
        } else {
          failed_.fetch_add(n, std::memory_order_relaxed);
          if (last_round) {
            // The collector is failing: do not hold up shutdown with one
            // timeout per remaining batch.
            idgen::MutexLock lock(&mu_);
            dropped_.fetch_add(queue_.size(), std::memory_order_relaxed);
            queue_.clear();
            break;
          }
        }
        if (n < options_.max_export_batch_size) break;
      }
    }
  }

  const BatchOptions options_;
  const ExportFn export_;
  idgen::Mutex mu_;
  idgen::CondVar cv_{&mu_};
  std::deque<T> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> exported_{0};
  std::atomic<uint64_t> failed_{0};
  std::once_flag shutdown_once_;
  std::thread worker_;
};

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_BATCH_PROCESSOR_H_
