// Copyright idgen authors.
//
// EtcdProcess: a real single-member etcd (Debian's etcd-server) for
// integration tests, on free loopback ports with its data in a fresh
// temporary directory.
//
//   * Ports are chosen by binding port 0 on 127.0.0.1 (then released for
//     etcd to take), so parallel test processes do not collide.
//   * Start() waits, bounded, until etcd answers a KV request.
//   * Stop() / Start() again reuse the data dir and ports: an outage, not a
//     new cluster. Pause() / Resume() send SIGSTOP / SIGCONT (a hung server).
//   * The destructor stops etcd (SIGTERM, then SIGKILL) by pid and deletes
//     the data. etcd's own output goes to <temp dir>/etcd.log, whose tail is
//     quoted when etcd fails to come up.
//
// Thread-safety: none; drive it from the test's main thread.
//
// Example:
//   auto etcd = EtcdProcess::Create();
//   ASSERT_TRUE(etcd.ok()) << etcd.status();
//   std::string url = (*etcd)->endpoint();   // "http://127.0.0.1:<port>"
//   ASSERT_TRUE((*etcd)->Stop().ok());       // outage ...
//   ASSERT_TRUE((*etcd)->Start().ok());      // ... and back, same data
#ifndef IDGEN_COORD_TESTING_ETCD_PROCESS_H_
#define IDGEN_COORD_TESTING_ETCD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace idgen::coord::testing {

class EtcdProcess {
 public:
  // Picks ports, makes the temp dir and starts etcd. FAILED_PRECONDITION if
  // the etcd binary is missing; DEADLINE_EXCEEDED if it does not answer
  // within `start_timeout`.
  static absl::StatusOr<std::unique_ptr<EtcdProcess>> Create(
      absl::Duration start_timeout = absl::Seconds(15));
  ~EtcdProcess();
  EtcdProcess(const EtcdProcess&) = delete;
  EtcdProcess& operator=(const EtcdProcess&) = delete;

  // Starts etcd (again) on the same ports and data dir; waits until it answers.
  absl::Status Start();
  // SIGTERM, up to 5 s to exit, then SIGKILL. No-op when not running.
  absl::Status Stop();
  // SIGSTOP / SIGCONT: etcd keeps its sockets but answers nothing.
  void Pause();
  void Resume();

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int client_port() const { return client_port_; }
  // "http://127.0.0.1:<client port>"
  std::string endpoint() const;
  const std::string& dir() const { return dir_; }

  // A loopback port nothing listens on (bound to port 0, then closed): a
  // "dead endpoint" for failover tests.
  static absl::StatusOr<int> UnusedPort();

 private:
  EtcdProcess(std::string dir, int client_port, int peer_port, absl::Duration start_timeout)
      : dir_(std::move(dir)),
        client_port_(client_port),
        peer_port_(peer_port),
        start_timeout_(start_timeout) {}

  absl::Status WaitUntilServing();
  std::string LogTail() const;

  const std::string dir_;
  const int client_port_;
  const int peer_port_;
  const absl::Duration start_timeout_;
  pid_t pid_ = -1;
  bool paused_ = false;
};

}  // namespace idgen::coord::testing

#endif  // IDGEN_COORD_TESTING_ETCD_PROCESS_H_
