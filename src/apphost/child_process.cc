// Copyright idgen authors.
#include "src/apphost/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace idgen::apphost {
namespace {

bool Wired(const char* entry) {
  return absl::StartsWith(entry, "IDGEN_") || absl::StartsWith(entry, "OTEL_");
}

// Closes every descriptor from `first` up to `last` (inclusive). Runs in the
// child between fork and exec: async-signal-safe calls only.
void CloseRange(int first, int last) {
  if (first > last) return;
  if (close_range(static_cast<unsigned>(first), static_cast<unsigned>(last), 0) == 0) return;
  for (int fd = first; fd <= last; ++fd) close(fd);  // kernels before 5.9
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("no program to run");
  // Everything the child needs is prepared before fork: after fork only
  // async-signal-safe calls are allowed (the AppHost has threads).
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!Wired(*e)) env_strings.emplace_back(*e);
  }
  for (const auto& [k, v] : options.env) env_strings.push_back(absl::StrCat(k, "=", v));
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = options.argv;
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);

  int out[2];
  int err[2];
  int report[2];  // exec failure: the child writes errno, CLOEXEC closes it on success
  if (pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    return absl::InternalError("pipe failed");
  }
  if (pipe2(report, O_CLOEXEC) != 0) {
    for (int fd : {out[0], out[1], err[0], err[1]}) close(fd);
    return absl::InternalError("pipe failed");
  }
  // The highest descriptor the loop fallback of CloseRange must reach.
  rlimit files{};
  const int max_fd = getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY
                         ? static_cast<int>(std::min<rlim_t>(files.rlim_cur, 1 << 20)) - 1
                         : 65535;
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {out[0], out[1], err[0], err[1], report[0], report[1]}) close(fd);
    return absl::ResourceExhaustedError(absl::StrCat("fork failed: ", std::strerror(errno)));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);  // the parent died before prctl
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    // Nothing of the AppHost's reaches the program but stdin/out/err and the
    // exec report pipe (closed on exec): a descriptor opened without
    // O_CLOEXEC (a listening socket of a library, an accepted connection)
    // would otherwise outlive the AppHost in its children and keep its
    // ports bound after it is killed.
    if (report[1] > STDERR_FILENO) {
      CloseRange(STDERR_FILENO + 1, report[1] - 1);
      CloseRange(report[1] + 1, max_fd);
    } else {
      CloseRange(STDERR_FILENO + 1, max_fd);
    }
    execvpe(argv[0], argv.data(), envp.data());
    const int e = errno;
    (void)!write(report[1], &e, sizeof(e));
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  close(report[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(report[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  std::unique_ptr<ChildProcess> child(new ChildProcess(pid, out[0], err[0], options.log));
  if (n == static_cast<ssize_t>(sizeof(child_errno))) {
    child->TryReap();
    child.reset();  // reaps and joins
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run ", options.argv[0], ": ", std::strerror(child_errno)));
  }
  return child;
}

ChildProcess::ChildProcess(pid_t pid, int out_fd, int err_fd, LogBuffer* log)
    : pid_(pid), log_(log) {
  reader_ = std::thread([this, out_fd, err_fd] { ReadLoop(out_fd, err_fd); });
}

ChildProcess::~ChildProcess() {
  if (!status_) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int st = 0;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    status_ = st;
  }
  // Whatever the child left behind in its group goes too.
  ::kill(-pid_, SIGKILL);
  stop_reading_.store(true);
  if (reader_.joinable()) reader_.join();
}

void ChildProcess::ReadLoop(int out_fd, int err_fd) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_fds = 2;
  char buf[8192];
  // Until both pipes close, or the owner is gone and nothing more arrives
  // (a descendant that left the process group may hold a pipe open).
  while (open_fds > 0) {
    const int ready = poll(fds, 2, 100);
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (ready == 0) {
      if (stop_reading_.load()) break;
      continue;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        if (log_ != nullptr) {
          log_->Write(i == 0 ? "stdout" : "stderr", std::string_view(buf, static_cast<size_t>(n)),
                      absl::ToUnixMillis(absl::Now()));
        }
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (pollfd& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
}

std::string ChildProcess::ExitText() const {
  if (!status_) return "running";
  if (WIFEXITED(*status_)) return absl::StrCat("exit code ", WEXITSTATUS(*status_));
  if (WIFSIGNALED(*status_)) {
    return absl::StrCat("killed by signal ", WTERMSIG(*status_), " (",
                        strsignal(WTERMSIG(*status_)), ")");
  }
  return "exited";
}

void ChildProcess::Signal(int signal) {
  if (status_) return;
  // The whole process group: a shell wrapper's children too.
  if (::kill(-pid_, signal) != 0) ::kill(pid_, signal);
}

bool ChildProcess::TryReap() {
  if (status_) return true;
  int st = 0;
  const pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = st;
    ::kill(-pid_, SIGKILL);  // leave no process of its group behind
  }
  return status_.has_value();
}

void ChildProcess::Stop(absl::Duration grace) {
  if (TryReap()) return;
  Signal(SIGCONT);  // a stopped process cannot act on SIGTERM
  Signal(SIGTERM);
  const absl::Time end = absl::Now() + grace;
  while (absl::Now() < end) {
    if (TryReap()) return;
    absl::SleepFor(absl::Milliseconds(20));
  }
  Signal(SIGKILL);
  int st = 0;
  while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  status_ = st;
}

}  // namespace idgen::apphost
