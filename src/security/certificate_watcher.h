// Copyright idgen authors.
//
// CertificateWatcher: the one place a process's TLS listeners get their
// certificate, key, client CA and CRLs from, and the one place that decides
// whether a renewal on disk is taken.
//
//   * Poll() looks at the files (inode, modification time and size of the
//     certificate, key and CA files and of every hashed CRL) at most once
//     per reload_interval, on the injected clock's monotonic time; when
//     something changed it reloads.
//   * ReloadNow() reloads at once, whatever the interval (SIGHUP).
//   * A reload reads and checks the whole set (certificate_set.h) and only
//     then publishes it: Current() returns it and every OnChange callback
//     gets it. A set that does not load (a missing or half-written file, a
//     key that does not belong to the certificate, an expired certificate,
//     a CRL that does not parse) is not published: the previous one stays in
//     use, the failure is counted and logged once per change, naming the
//     file. A set taken is counted and logged with its serial and expiry.
//     Key material never reaches the log.
//   * StartPolling() runs Poll() on a thread of its own, about once a
//     second (the interval still decides when the files are looked at).
//
// Every listener that serves the set is named (`listeners`, e.g. "grpc" and
// "admin"): the metrics report one series per listener.
//
// Thread-safety: every method may be called from any thread. OnChange
// callbacks run on the thread that reloads, one at a time, without the
// watcher's lock held; register them before StartPolling.
#ifndef IDGEN_SECURITY_CERTIFICATE_WATCHER_H_
#define IDGEN_SECURITY_CERTIFICATE_WATCHER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "idgen/clock.h"
#include "idgen/internal/mutex.h"
#include "src/security/certificate_set.h"
#include "src/security/tls_server_config.h"

namespace idgen::security {

class CertificateWatcher {
 public:
  // One line per reload: `error` for a set that did not load, else the
  // serial and expiry of the set taken.
  using Log = std::function<void(const std::string& message, bool error)>;
  using ChangeCallback = std::function<void(const std::shared_ptr<const CertificateSet>&)>;

  // Loads the first set; its error (naming the file) when that fails.
  // `clock` must outlive the watcher. `log` (default: standard error)
  // receives one line per reload.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<CertificateWatcher>> Create(
      TlsServerConfig config, std::vector<std::string> listeners, Clock* clock, Log log = nullptr);
  ~CertificateWatcher();
  CertificateWatcher(const CertificateWatcher&) = delete;
  CertificateWatcher& operator=(const CertificateWatcher&) = delete;

  // The set in use; never null. Its address changes with each reload.
  std::shared_ptr<const CertificateSet> Current() const ABSL_LOCKS_EXCLUDED(mu_);
  // How many sets were published since Create (the first one not counted).
  uint64_t generation() const ABSL_LOCKS_EXCLUDED(mu_);

  void Poll() ABSL_LOCKS_EXCLUDED(mu_, reload_mu_);
  void ReloadNow() ABSL_LOCKS_EXCLUDED(mu_, reload_mu_);
  void OnChange(ChangeCallback callback) ABSL_LOCKS_EXCLUDED(mu_);
  void StartPolling() ABSL_LOCKS_EXCLUDED(mu_);

  const TlsServerConfig& config() const { return config_; }
  const std::vector<std::string>& listeners() const { return listeners_; }
  int64_t reload_successes() const ABSL_LOCKS_EXCLUDED(mu_);
  int64_t reload_failures() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // What tells a file changed: a rename into place gives a new inode, a
  // rewrite a new modification time or size.
  struct FileStamp {
    std::string path;
    int64_t inode = -1;
    int64_t mtime_ns = -1;
    int64_t size = -1;
    bool operator==(const FileStamp&) const = default;
  };
  CertificateWatcher(TlsServerConfig config, std::vector<std::string> listeners, Clock* clock,
                     Log log);
  std::vector<FileStamp> Stamps() const;
  // Loads and publishes; `forced` reloads even when the stamps are those of
  // the set in use or of the last failure.
  void Reload(bool forced) ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_) ABSL_LOCKS_EXCLUDED(mu_);

  const TlsServerConfig config_;
  const std::vector<std::string> listeners_;
  Clock* const clock_;
  const Log log_;

  Mutex reload_mu_;  // one reload at a time; held while callbacks run
  std::vector<FileStamp> stamps_ ABSL_GUARDED_BY(reload_mu_);
  std::vector<FileStamp> failed_stamps_ ABSL_GUARDED_BY(reload_mu_);

  mutable Mutex mu_;
  CondVar stop_cv_{&mu_};
  std::shared_ptr<const CertificateSet> current_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Duration last_check_ ABSL_GUARDED_BY(mu_);
  int64_t successes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t failures_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<ChangeCallback> callbacks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread poller_;
};

}  // namespace idgen::security

#endif  // IDGEN_SECURITY_CERTIFICATE_WATCHER_H_
