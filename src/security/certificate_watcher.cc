// Copyright idgen authors.
#include "src/security/certificate_watcher.h"

#include <sys/stat.h>

#include <filesystem>
#include <iostream>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace idgen::security {
namespace {

// How often the polling thread wakes to ask Poll(); the interval decides
// when the files are actually looked at.
constexpr absl::Duration kPollTick = absl::Milliseconds(500);

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace

CertificateWatcher::CertificateWatcher(TlsServerConfig config, std::vector<std::string> listeners,
                                       Clock* clock, Log log)
    : config_(std::move(config)),
      listeners_(std::move(listeners)),
      clock_(clock),
      log_(log != nullptr ? std::move(log) : [](const std::string& m, bool) {
        std::cerr << "idgen: " << m << std::endl;
      }) {}

absl::StatusOr<std::unique_ptr<CertificateWatcher>> CertificateWatcher::Create(
    TlsServerConfig config, std::vector<std::string> listeners, Clock* clock, Log log) {
  std::unique_ptr<CertificateWatcher> w(
      new CertificateWatcher(std::move(config), std::move(listeners), clock, std::move(log)));
  // Stamps first: a change while the files are read shows at the next poll.
  std::vector<FileStamp> stamps = w->Stamps();
  absl::StatusOr<CertificateSet> first = LoadCertificateSet(w->config_, clock->WallNow());
  if (!first.ok()) return first.status();
  {
    MutexLock lock(&w->reload_mu_);
    w->stamps_ = std::move(stamps);
  }
  MutexLock lock(&w->mu_);
  w->current_ = std::make_shared<const CertificateSet>(*std::move(first));
  w->last_check_ = clock->MonotonicNow();
  return w;
}

CertificateWatcher::~CertificateWatcher() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  stop_cv_.SignalAll();
  if (poller_.joinable()) poller_.join();
}

std::shared_ptr<const CertificateSet> CertificateWatcher::Current() const {
  MutexLock lock(&mu_);
  return current_;
}

uint64_t CertificateWatcher::generation() const {
  MutexLock lock(&mu_);
  return generation_;
}

int64_t CertificateWatcher::reload_successes() const {
  MutexLock lock(&mu_);
  return successes_;
}

int64_t CertificateWatcher::reload_failures() const {
  MutexLock lock(&mu_);
  return failures_;
}

void CertificateWatcher::OnChange(ChangeCallback callback) {
  MutexLock lock(&mu_);
  callbacks_.push_back(std::move(callback));
}

std::vector<CertificateWatcher::FileStamp> CertificateWatcher::Stamps() const {
  std::vector<std::string> paths = {config_.cert_file, config_.key_file, config_.client_ca_file};
  if (!config_.crl_dir.empty()) {
    paths.push_back(config_.crl_dir);  // its mtime changes when a file comes or goes
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(config_.crl_dir, ec)) {
      paths.push_back(entry.path().string());
    }
  }
  std::vector<FileStamp> out;
  for (std::string& path : paths) {
    FileStamp stamp;
    struct stat st {};
    if (!path.empty() && ::stat(path.c_str(), &st) == 0) {
      stamp.inode = static_cast<int64_t>(st.st_ino);
      stamp.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
      stamp.size = static_cast<int64_t>(st.st_size);
    }
    stamp.path = std::move(path);
    out.push_back(std::move(stamp));
  }
  return out;
}

void CertificateWatcher::Poll() {
  {
    MutexLock lock(&mu_);
    const absl::Duration now = clock_->MonotonicNow();
    if (now - last_check_ < config_.reload_interval) return;
    last_check_ = now;
  }
  MutexLock reload_lock(&reload_mu_);
  Reload(/*forced=*/false);
}

void CertificateWatcher::ReloadNow() {
  MutexLock reload_lock(&reload_mu_);
  Reload(/*forced=*/true);
}

void CertificateWatcher::Reload(bool forced) {
  std::vector<FileStamp> stamps = Stamps();
  if (!forced && (stamps == stamps_ || stamps == failed_stamps_)) return;
  absl::StatusOr<CertificateSet> next = LoadCertificateSet(config_, clock_->WallNow());
  std::vector<ChangeCallback> callbacks;
  std::shared_ptr<const CertificateSet> published;
  std::shared_ptr<const CertificateSet> kept;
  const std::string error = next.ok() ? "" : std::string(next.status().message());
  {
    MutexLock lock(&mu_);
    last_check_ = clock_->MonotonicNow();
    if (!next.ok()) {
      ++failures_;
      kept = current_;
    } else {
      ++successes_;
      ++generation_;
      current_ = std::make_shared<const CertificateSet>(*std::move(next));
      published = current_;
      callbacks = callbacks_;
    }
  }
  // Logged outside the lock: the log may be slow.
  const std::string listeners = absl::StrCat("the ", absl::StrJoin(listeners_, " and "),
                                             " listener", listeners_.size() == 1 ? "" : "s");
  if (published == nullptr) {
    failed_stamps_ = std::move(stamps);
    log_(absl::StrCat("TLS reload for ", listeners, " failed: ", error,
                      "; still serving the certificate with serial ", kept->serial_hex,
                      " (expires ", Rfc3339(kept->not_after), ")"),
         /*error=*/true);
    return;
  }
  stamps_ = std::move(stamps);
  failed_stamps_.clear();
  for (const ChangeCallback& cb : callbacks) cb(published);
  log_(absl::StrCat("TLS certificate reloaded for ", listeners, ": serial ", published->serial_hex,
                    " (expires ", Rfc3339(published->not_after), ")"),
       /*error=*/false);
}

void CertificateWatcher::StartPolling() {
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

}  // namespace idgen::security
