// Copyright idgen authors.
#include "src/coord/testing/etcd_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/coord/etcd_client.h"

namespace idgen::coord::testing {
namespace {

// Binds a loopback socket to port 0 and returns it with its port; the caller
// closes it once every port it needs has been picked (so they differ).
absl::StatusOr<std::pair<int, int>> BindAnyPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::InternalError(absl::StrCat("bind 127.0.0.1:0: ", std::strerror(err)));
  }
  return std::make_pair(fd, static_cast<int>(ntohs(addr.sin_port)));
}

std::string FindEtcdBinary() {
  if (const char* env = std::getenv("IDGEN_ETCD_BIN"); env != nullptr && *env != '\0') return env;
  for (const char* path : {"/usr/bin/etcd", "/usr/local/bin/etcd"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return "";
}

}  // namespace

absl::StatusOr<int> EtcdProcess::UnusedPort() {
  absl::StatusOr<std::pair<int, int>> s = BindAnyPort();
  if (!s.ok()) return s.status();
  ::close(s->first);
  return s->second;
}

absl::StatusOr<std::unique_ptr<EtcdProcess>> EtcdProcess::Create(absl::Duration start_timeout) {
  char tmpl[] = "/tmp/idgen-etcd-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  absl::StatusOr<std::pair<int, int>> client = BindAnyPort();
  absl::StatusOr<std::pair<int, int>> peer = BindAnyPort();
  if (client.ok()) ::close(client->first);
  if (peer.ok()) ::close(peer->first);
  if (!client.ok()) return client.status();
  if (!peer.ok()) return peer.status();
  std::unique_ptr<EtcdProcess> etcd(
      new EtcdProcess(tmpl, client->second, peer->second, start_timeout));
  absl::Status s = etcd->Start();
  if (!s.ok()) return s;
  return etcd;
}

EtcdProcess::~EtcdProcess() {
  (void)Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string EtcdProcess::endpoint() const {
  return absl::StrCat("http://127.0.0.1:", client_port_);
}

absl::Status EtcdProcess::Start() {
  if (running()) return absl::OkStatus();
  const std::string binary = FindEtcdBinary();
  if (binary.empty()) {
    return absl::FailedPreconditionError(
        "etcd binary not found (apt-get install etcd-server, or set IDGEN_ETCD_BIN)");
  }
  const std::string client_url = endpoint();
  const std::string peer_url = absl::StrCat("http://127.0.0.1:", peer_port_);
  // Everything is built before fork(): the child only calls async-signal-safe
  // functions.
  std::vector<std::string> args = {binary,
                                   "--name=default",
                                   absl::StrCat("--data-dir=", dir_, "/data"),
                                   absl::StrCat("--listen-client-urls=", client_url),
                                   absl::StrCat("--advertise-client-urls=", client_url),
                                   absl::StrCat("--listen-peer-urls=", peer_url),
                                   absl::StrCat("--initial-advertise-peer-urls=", peer_url),
                                   absl::StrCat("--initial-cluster=default=", peer_url),
                                   "--initial-cluster-state=new"};
  std::vector<std::string> env = {"PATH=/usr/bin:/bin"};
#if defined(__aarch64__)
  env.push_back("ETCD_UNSUPPORTED_ARCH=arm64");
#endif
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string log_path = absl::StrCat(dir_, "/etcd.log");
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::InternalError(absl::StrCat("open ", log_path, ": ", std::strerror(errno)));
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(log_fd);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(err)));
  }
  if (pid == 0) {
    // Do not outlive a test process that dies without running destructors.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(log_fd);
  pid_ = pid;
  paused_ = false;
  return WaitUntilServing();
}

absl::Status EtcdProcess::WaitUntilServing() {
  absl::StatusOr<std::unique_ptr<EtcdClient>> client = EtcdClient::Create(
      {endpoint()}, {.dial_timeout = absl::ZeroDuration(), .call_timeout = absl::Seconds(1)});
  if (!client.ok()) return client.status();
  const absl::Time deadline = absl::Now() + start_timeout_;
  absl::Status last;
  while (absl::Now() < deadline) {
    int wstatus = 0;
    if (::waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::FailedPreconditionError(absl::StrCat("etcd exited during start-up (status ",
                                                        wstatus, "); log tail:\n", LogTail()));
    }
    last = (*client)->Range("/idgen-test/ping").status();
    if (last.ok()) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  (void)Stop();
  return absl::DeadlineExceededError(absl::StrCat(
      "etcd on ", endpoint(), " did not answer within ", absl::FormatDuration(start_timeout_),
      " (last: ", last.ToString(), "); log tail:\n", LogTail()));
}

absl::Status EtcdProcess::Stop() {
  if (!running()) return absl::OkStatus();
  ::kill(pid_, SIGTERM);
  if (paused_) ::kill(pid_, SIGCONT);  // a stopped process cannot act on SIGTERM
  paused_ = false;
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (absl::Now() < deadline) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::OkStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return absl::OkStatus();
}

void EtcdProcess::Pause() {
  if (!running()) return;
  ::kill(pid_, SIGSTOP);
  paused_ = true;
}

void EtcdProcess::Resume() {
  if (!running()) return;
  ::kill(pid_, SIGCONT);
  paused_ = false;
}

std::string EtcdProcess::LogTail() const {
  std::ifstream in(absl::StrCat(dir_, "/etcd.log"));
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string all = ss.str();
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

}  // namespace idgen::coord::testing
