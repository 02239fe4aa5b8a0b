// Copyright idgen authors.
#include "src/auth/jwks_file.h"

#include <sys/stat.h>

#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"

namespace idgen::auth {
namespace {

constexpr absl::Duration kPollTick = absl::Seconds(1);

}  // namespace

JwksFile::JwksFile(std::string path, Clock* clock, absl::Duration reload_interval, Log log)
    : path_(std::move(path)),
      clock_(clock),
      reload_interval_(reload_interval),
      log_(log != nullptr ? std::move(log) : [](const std::string& message, bool) {
        std::cerr << message << "\n";
      }) {}

absl::StatusOr<std::unique_ptr<JwksFile>> JwksFile::Create(std::string path, Clock* clock,
                                                           absl::Duration reload_interval,
                                                           Log log) {
  std::unique_ptr<JwksFile> f(
      new JwksFile(std::move(path), clock, reload_interval, std::move(log)));
  const Stamp stamp = f->StampOf();
  absl::StatusOr<std::shared_ptr<const Jwks>> first = Jwks::ReadFile(f->path_);
  if (!first.ok()) return first.status();
  {
    MutexLock lock(&f->reload_mu_);
    f->stamp_ = stamp;
  }
  MutexLock lock(&f->mu_);
  f->current_ = *std::move(first);
  f->last_check_ = clock->MonotonicNow();
  return f;
}

JwksFile::~JwksFile() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  stop_cv_.SignalAll();
  if (poller_.joinable()) poller_.join();
}

std::shared_ptr<const Jwks> JwksFile::Current() const {
  MutexLock lock(&mu_);
  return current_;
}

int64_t JwksFile::reload_successes() const {
  MutexLock lock(&mu_);
  return successes_;
}

int64_t JwksFile::reload_failures() const {
  MutexLock lock(&mu_);
  return failures_;
}

JwksFile::Stamp JwksFile::StampOf() const {
  Stamp stamp;
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0) {
    stamp.inode = static_cast<int64_t>(st.st_ino);
    stamp.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    stamp.size = static_cast<int64_t>(st.st_size);
  }
  return stamp;
}

void JwksFile::Poll() {
  {
    MutexLock lock(&mu_);
    const absl::Duration now = clock_->MonotonicNow();
    if (now - last_check_ < reload_interval_) return;
    last_check_ = now;
  }
  MutexLock reload_lock(&reload_mu_);
  Reload(/*forced=*/false);
}

void JwksFile::ReloadNow() {
  MutexLock reload_lock(&reload_mu_);
  Reload(/*forced=*/true);
}

void JwksFile::Reload(bool forced) {
  const Stamp stamp = StampOf();
  if (!forced && (stamp == stamp_ || stamp == failed_stamp_)) return;
  absl::StatusOr<std::shared_ptr<const Jwks>> next = Jwks::ReadFile(path_);
  size_t kept_keys = 0;
  {
    MutexLock lock(&mu_);
    last_check_ = clock_->MonotonicNow();
    if (next.ok()) {
      ++successes_;
      current_ = *next;
    } else {
      ++failures_;
      kept_keys = current_->keys().size();
    }
  }
  // Logged outside the lock: the log may be slow. The messages name the
  // file and the key's index and member, never key bytes.
  if (!next.ok()) {
    failed_stamp_ = stamp;
    log_(absl::StrCat("JWKS reload failed: ", next.status().message(), "; still using the ",
                      kept_keys, " key(s) loaded before"),
         /*error=*/true);
    return;
  }
  stamp_ = stamp;
  failed_stamp_ = Stamp{};
  log_(absl::StrCat("JWKS file ", path_, " reloaded: ", (*next)->keys().size(), " key(s)"),
       /*error=*/false);
}

void JwksFile::StartPolling() {
  MutexLock lock(&mu_);
  if (poller_.joinable()) return;
  poller_ = std::thread([this] {
    for (;;) {
      {
        MutexLock poll_lock(&mu_);
        if (!stopping_) (void)stop_cv_.WaitFor(kPollTick);
        if (stopping_) return;
      }
      Poll();
    }
  });
}

}  // namespace idgen::auth
