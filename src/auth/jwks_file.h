// Copyright idgen authors.
//
// JwksFile: the JWKS file (--jwt-jwks-file) and the key set taken from it,
// reloaded when the file changes and on demand (SIGHUP).
//
//   * Poll() looks at the file (inode, modification time, size) at most
//     once per `reload_interval` of the clock's monotonic time and reloads
//     when it changed. StartPolling() runs Poll() on a thread of its own.
//   * ReloadNow() reloads at once (SIGHUP).
//   * A file that does not read or parse is not taken: the previous keys
//     stay in use, and the failure is logged once per change of the file,
//     naming the file and the key at fault. Key bytes are never logged.
//
// Keys come from a file, never from the network: no fetch on the request
// path, nothing an attacker can point the process at.
//
// Thread-safety: every method may be called from any thread.
#ifndef IDGEN_AUTH_JWKS_FILE_H_
#define IDGEN_AUTH_JWKS_FILE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "idgen/clock.h"
#include "idgen/internal/mutex.h"
#include "src/auth/jwks.h"

namespace idgen::auth {

class JwksFile {
 public:
  // One line per reload: `error` for a file that was not taken.
  using Log = std::function<void(const std::string& message, bool error)>;

  // Reads the first set; its error ("JWKS file <path>: ...") when that
  // fails. `clock` must outlive the object; `log` defaults to standard error.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<JwksFile>> Create(
      std::string path, Clock* clock, absl::Duration reload_interval = absl::Seconds(1),
      Log log = nullptr);
  ~JwksFile();
  JwksFile(const JwksFile&) = delete;
  JwksFile& operator=(const JwksFile&) = delete;

  // The keys in use; never null. A new pointer after each reload taken.
  std::shared_ptr<const Jwks> Current() const ABSL_LOCKS_EXCLUDED(mu_);

  void Poll() ABSL_LOCKS_EXCLUDED(mu_, reload_mu_);
  void ReloadNow() ABSL_LOCKS_EXCLUDED(mu_, reload_mu_);
  void StartPolling() ABSL_LOCKS_EXCLUDED(mu_);

  const std::string& path() const { return path_; }
  int64_t reload_successes() const ABSL_LOCKS_EXCLUDED(mu_);
  int64_t reload_failures() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Stamp {
    int64_t inode = -1;
    int64_t mtime_ns = -1;
    int64_t size = -1;
    bool operator==(const Stamp&) const = default;
  };
  JwksFile(std::string path, Clock* clock, absl::Duration reload_interval, Log log);
  Stamp StampOf() const;
  void Reload(bool forced) ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_) ABSL_LOCKS_EXCLUDED(mu_);

  const std::string path_;
  Clock* const clock_;
  const absl::Duration reload_interval_;
  const Log log_;

  Mutex reload_mu_;  // one reload at a time
  Stamp stamp_ ABSL_GUARDED_BY(reload_mu_);
  Stamp failed_stamp_ ABSL_GUARDED_BY(reload_mu_);

  mutable Mutex mu_;
  CondVar stop_cv_{&mu_};
  std::shared_ptr<const Jwks> current_ ABSL_GUARDED_BY(mu_);
  absl::Duration last_check_ ABSL_GUARDED_BY(mu_);
  int64_t successes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t failures_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread poller_;
};

}  // namespace idgen::auth

#endif  // IDGEN_AUTH_JWKS_FILE_H_
