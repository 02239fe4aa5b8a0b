// Copyright idgen authors.
//
// WatchedFile<T>: a file an operator may change while the process runs (the
// API-key file, the JWKS file), parsed into an immutable T and read again
// when it changes and on demand (SIGHUP).
//
//   * Create() loads the first version; its error is the caller's start-up
//     error.
//   * Poll() looks at the file (inode, size, modification time) at most once
//     per `min_interval` of the clock's monotonic time, and loads it again
//     when that changed. StartPolling() calls Poll() every `poll_every` on a
//     thread of its own until destruction.
//   * ReloadNow() loads it again at once.
//   * A version that does not load is not taken: the previous T stays in
//     use, the failure is counted and logged once per change of the file
//     (its message comes from `failure_message`, which must never quote
//     secrets), and a later change is tried again.
//
// Thread-safety: every method may be called from any thread; Current() is a
// lock-free load for the request path.
#ifndef IDGEN_CONFIG_WATCHED_FILE_H_
#define IDGEN_CONFIG_WATCHED_FILE_H_

#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "idgen/clock.h"
#include "idgen/internal/mutex.h"

namespace idgen::config {

// What identifies one version of a file: a rename, a rewrite in place or a
// touch each change it. All -1 when the file cannot be read.
struct FileStamp {
  int64_t inode = -1;
  int64_t size = -1;
  int64_t mtime_ns = -1;
  bool operator==(const FileStamp&) const = default;

  static FileStamp Of(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return FileStamp{};
    return FileStamp{static_cast<int64_t>(st.st_ino), static_cast<int64_t>(st.st_size),
                     int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
  }
};

template <class T>
class WatchedFile {
 public:
  // One line per reload: `error` for a version that was not taken.
  using Log = std::function<void(const std::string& message, bool error)>;

  struct Options {
    std::string path;
    // Reads and parses the file; its error names the path.
    std::function<absl::StatusOr<std::shared_ptr<const T>>(const std::string& path)> load;
    // The log lines of a reload taken, and of one refused (`kept` is the
    // version still in use).
    std::function<std::string(const T& loaded)> success_message;
    std::function<std::string(const absl::Status& error, const T& kept)> failure_message;
    Log log;                                         // default: standard error
    Clock* clock = nullptr;                          // required
    absl::Duration min_interval = absl::Seconds(1);  // between two looks by Poll()
    absl::Duration poll_every = absl::Seconds(1);    // StartPolling()'s period
  };

  [[nodiscard]] static absl::StatusOr<std::unique_ptr<WatchedFile>> Create(Options options) {
    if (options.clock == nullptr || !options.load || !options.success_message ||
        !options.failure_message || options.poll_every <= absl::ZeroDuration() ||
        options.min_interval < absl::ZeroDuration()) {
      return absl::InvalidArgumentError("WatchedFile: incomplete options");
    }
    if (!options.log) {
      options.log = [](const std::string& message, bool) { std::cerr << message << "\n"; };
    }
    std::unique_ptr<WatchedFile> f(new WatchedFile(std::move(options)));
    const FileStamp stamp = FileStamp::Of(f->options_.path);
    absl::StatusOr<std::shared_ptr<const T>> first = f->options_.load(f->options_.path);
    if (!first.ok()) return first.status();
    {
      MutexLock lock(&f->reload_mu_);
      f->stamp_ = stamp;
    }
    f->current_.store(*std::move(first));
    MutexLock lock(&f->mu_);
    f->last_look_ = f->options_.clock->MonotonicNow();
    return f;
  }

  ~WatchedFile() {
    {
      MutexLock lock(&mu_);
      stopping_ = true;
    }
    stop_cv_.SignalAll();
    if (poller_.joinable()) poller_.join();
  }
  WatchedFile(const WatchedFile&) = delete;
  WatchedFile& operator=(const WatchedFile&) = delete;

  // The version in use; never null.
  std::shared_ptr<const T> Current() const { return current_.load(); }

  void Poll() ABSL_LOCKS_EXCLUDED(mu_, reload_mu_) {
    {
      MutexLock lock(&mu_);
      const absl::Duration now = options_.clock->MonotonicNow();
      if (now - last_look_ < options_.min_interval) return;
      last_look_ = now;
    }
    MutexLock reload_lock(&reload_mu_);
    Reload(/*forced=*/false);
  }

  void ReloadNow() ABSL_LOCKS_EXCLUDED(mu_, reload_mu_) {
    MutexLock reload_lock(&reload_mu_);
    Reload(/*forced=*/true);
  }

  void StartPolling() ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(&mu_);
    if (poller_.joinable()) return;
    poller_ = std::thread([this] {
      for (;;) {
        {
          MutexLock poll_lock(&mu_);
          if (!stopping_) (void)stop_cv_.WaitFor(options_.poll_every);
          if (stopping_) return;
        }
        Poll();
      }
    });
  }

  const std::string& path() const { return options_.path; }
  int64_t reload_successes() const { return successes_.load(std::memory_order_relaxed); }
  int64_t reload_failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  explicit WatchedFile(Options options) : options_(std::move(options)) {}

  void Reload(bool forced) ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_) {
    const FileStamp stamp = FileStamp::Of(options_.path);
    const bool unchanged = stamp == stamp_;
    const bool failed_before = stamp == failed_stamp_;  // not tried again until it changes
    if (!forced && (unchanged || failed_before)) return;
    absl::StatusOr<std::shared_ptr<const T>> next = options_.load(options_.path);
    {
      MutexLock lock(&mu_);
      last_look_ = options_.clock->MonotonicNow();
    }
    // Logged outside mu_: the log may be slow.
    if (!next.ok()) {
      failures_.fetch_add(1, std::memory_order_relaxed);
      failed_stamp_ = stamp;
      options_.log(options_.failure_message(next.status(), *current_.load()), /*error=*/true);
      return;
    }
    successes_.fetch_add(1, std::memory_order_relaxed);
    current_.store(*next);
    stamp_ = stamp;
    failed_stamp_ = FileStamp{-2, -2, -2};
    options_.log(options_.success_message(**next), /*error=*/false);
  }

  const Options options_;
  std::atomic<std::shared_ptr<const T>> current_;
  std::atomic<int64_t> successes_{0};
  std::atomic<int64_t> failures_{0};

  Mutex reload_mu_;  // one reload at a time
  FileStamp stamp_ ABSL_GUARDED_BY(reload_mu_);
  // The version that failed last (not tried again until it changes).
  FileStamp failed_stamp_ ABSL_GUARDED_BY(reload_mu_){-2, -2, -2};

  mutable Mutex mu_;
  CondVar stop_cv_{&mu_};
  absl::Duration last_look_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread poller_;
};

}  // namespace idgen::config

#endif  // IDGEN_CONFIG_WATCHED_FILE_H_
