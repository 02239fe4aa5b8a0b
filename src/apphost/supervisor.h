// Copyright idgen authors.
//
// Supervisor: runs the resources of an app and keeps them running.
//
//   * Start order follows depends_on: a resource starts once every resource
//     it depends on is healthy (its health URL answers 200).
//   * A resource that exits while it should run is restarted after a backoff
//     (restart_min, doubling per consecutive crash up to restart_max; reset
//     once it stayed healthy for stable_after); each such restart is counted.
//   * Stop/Start/Restart of one resource (the dashboard's buttons) and
//     StopAll (Ctrl-C) are carried out by the supervisor's own thread, which
//     is also the thread that spawns every child (see ChildProcess on
//     PR_SET_PDEATHSIG). StopAll stops in reverse start order, each with
//     SIGTERM and a grace period, then SIGKILL.
//
// Thread-safety: every public method may be called from any thread.
#ifndef IDGEN_APPHOST_SUPERVISOR_H_
#define IDGEN_APPHOST_SUPERVISOR_H_

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "idgen/clock.h"
#include "idgen/internal/mutex.h"
#include "src/apphost/child_process.h"
#include "src/apphost/log_buffer.h"
#include "src/apphost/resource.h"
#include "src/security/tls_client_config.h"

namespace idgen::apphost {

struct SupervisorOptions {
  absl::Duration tick = absl::Milliseconds(50);
  absl::Duration health_interval = absl::Milliseconds(500);
  absl::Duration probe_timeout = absl::Milliseconds(400);
  // For https:// health URLs: the CA they chain to and the certificate the
  // probe presents (resources that require one).
  security::TlsClientConfig probe_tls;
  absl::Duration restart_min = absl::Milliseconds(500);
  absl::Duration restart_max = absl::Seconds(30);
  absl::Duration stable_after = absl::Seconds(10);
  absl::Duration stop_grace = absl::Seconds(10);
  // Backoffs, probe intervals and timeouts run on its monotonic time, log
  // stamps on its wall time; the supervisor thread and WaitAllHealthy pace
  // themselves with its SleepFor. Null: SystemClock. Must outlive the
  // supervisor.
  Clock* clock = nullptr;
};

// What the dashboard and the terminal show of one resource.
struct ResourceView {
  ResourceSpec spec;
  // "waiting" (for dependencies), "starting", "healthy", "unhealthy",
  // "backoff" (crashed, restart pending), "stopping", "stopped", "failed"
  // (cannot be started at all).
  std::string state;
  int pid = 0;
  int restarts = 0;           // automatic restarts after a crash
  int manual_restarts = 0;    // restarts asked for (dashboard)
  std::string last_exit;      // e.g. "killed by signal 9 (Killed)"
  std::string health_detail;  // last probe's outcome
  int64_t started_at_ms = 0;  // of the current process
};

class Supervisor {
 public:
  using ProgressFn = std::function<void(const std::string& resource, const std::string& state,
                                        const std::string& detail)>;

  // INVALID_ARGUMENT for duplicate names, unknown or cyclic dependencies.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Supervisor>> Create(
      const std::vector<ResourceSpec>& specs, const SupervisorOptions& options,
      ProgressFn progress);
  ~Supervisor();  // StopAll()

  // Starts the supervisor thread; every resource is wanted up.
  void Start();
  // Waits until every resource is healthy, or one has failed, or `timeout`;
  // the error names the resource, its state and the tail of its log.
  [[nodiscard]] absl::Status WaitAllHealthy(absl::Duration timeout);
  // Stops everything in reverse order and ends the thread. Idempotent.
  void StopAll();

  // NOT_FOUND for an unknown name. Carried out asynchronously.
  [[nodiscard]] absl::Status StopResource(const std::string& name);
  [[nodiscard]] absl::Status StartResource(const std::string& name);
  [[nodiscard]] absl::Status RestartResource(const std::string& name);

  std::vector<ResourceView> Snapshot() const;
  // Null for an unknown name.
  LogBuffer* Logs(const std::string& name) const;
  const std::vector<std::string>& order() const { return order_; }

 private:
  struct Resource;
  Supervisor(std::vector<std::unique_ptr<Resource>> resources, std::vector<std::string> order,
             const SupervisorOptions& options, ProgressFn progress);
  void Loop();
  // `now` is the clock's monotonic time.
  void Step(absl::Duration now);
  void Launch(Resource& r, absl::Duration now);
  void Probe(Resource& r, absl::Duration now);
  int64_t NowMs() const { return clock_->WallUnixMillis(); }
  void StopOne(Resource& r);
  void SetState(Resource& r, const std::string& state, const std::string& detail)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Resource* Find(const std::string& name) const;
  [[nodiscard]] absl::Status Command(const std::string& name, int command);

  const SupervisorOptions options_;
  Clock* const clock_;
  const ProgressFn progress_;
  const std::vector<std::string> order_;  // dependency order
  std::vector<std::unique_ptr<Resource>> resources_;

  mutable idgen::Mutex mu_;  // guards the view part of each Resource and commands_
  std::deque<std::pair<std::string, int>> commands_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stopped_{false};
  std::thread thread_;
};

}  // namespace idgen::apphost

#endif  // IDGEN_APPHOST_SUPERVISOR_H_
