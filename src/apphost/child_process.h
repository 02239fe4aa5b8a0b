// Copyright idgen authors.
//
// ChildProcess: one process started by the AppHost, with its stdout and
// stderr read into a LogBuffer by a reader thread.
//
//   * The child runs in its own process group (a terminal's Ctrl-C reaches
//     only the AppHost, which then stops children in order), with the signal
//     mask and SIGPIPE disposition reset to defaults, and with
//     PR_SET_PDEATHSIG = SIGTERM: if the thread that spawned it dies (the
//     AppHost killed with SIGKILL), the child is told to stop too.
//   * The child gets stdin (/dev/null), stdout and stderr (pipes to the
//     reader) and no other descriptor of the AppHost: its listening sockets
//     must not stay bound in children after the AppHost is gone.
//   * Spawn fails cleanly (no child left) when the program cannot be
//     executed, with the reason (e.g. "No such file or directory").
//
// Signals go to the child's whole process group, and once the child has
// exited whatever remains of its group is killed: no process is left behind.
//
// Thread-safety: pid/Signal/TryReap from one thread (the supervisor).
#ifndef IDGEN_APPHOST_CHILD_PROCESS_H_
#define IDGEN_APPHOST_CHILD_PROCESS_H_

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/apphost/log_buffer.h"

namespace idgen::apphost {

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the program (a path, or found on PATH)
  // Set in the child's environment on top of the AppHost's own, from which
  // every IDGEN_* and OTEL_* variable is removed first (the AppHost wires
  // those explicitly).
  std::vector<std::pair<std::string, std::string>> env;
  LogBuffer* log = nullptr;  // not owned; must outlive the process object
};

class ChildProcess {
 public:
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Spawn(const SpawnOptions& options);
  // Kills the child (SIGKILL) if it still runs, reaps it, joins the reader.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool exited() const { return status_.has_value(); }
  // The exit described in words ("exit code 1", "killed by signal 9").
  std::string ExitText() const;

  // Sends `signal` unless the child was already reaped.
  void Signal(int signal);
  // Reaps the child if it has exited; true once it has.
  bool TryReap();
  // SIGTERM, up to `grace` for it to exit, then SIGKILL; returns when reaped.
  void Stop(absl::Duration grace);

 private:
  ChildProcess(pid_t pid, int out_fd, int err_fd, LogBuffer* log);
  void ReadLoop(int out_fd, int err_fd);

  const pid_t pid_;
  LogBuffer* const log_;
  std::optional<int> status_;  // waitpid status once reaped
  std::atomic<bool> stop_reading_{false};
  std::thread reader_;
};

}  // namespace idgen::apphost

#endif  // IDGEN_APPHOST_CHILD_PROCESS_H_
