// Copyright idgen authors.
//
// NodeOptions::realtime_priority (`idgen serve --realtime-priority`): the
// gRPC queue threads, and only they, run under SCHED_FIFO; a process that may
// not use it fails before claiming anything. Needs root or CAP_SYS_NICE, as
// the test suite runs in CI.
#include <dirent.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "idgen/v1/idgen.grpc.pb.h"
#include "src/coord/file_lease_provider.h"
#include "src/server/cq_server.h"
#include "src/server/node.h"
#include "src/testing/temp_dir.h"

namespace idgen::server {
namespace {

using ::testing::HasSubstr;

struct ThreadSched {
  std::string name;
  int policy = -1;
  int priority = -1;
};

// Every thread of this process with its scheduling policy and priority.
std::vector<ThreadSched> ProcessThreads() {
  std::vector<ThreadSched> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    const pid_t tid = std::atoi(entry.path().filename().c_str());
    ThreadSched t;
    std::ifstream(entry.path() / "comm") >> t.name;
    t.policy = sched_getscheduler(tid);
    sched_param p{};
    if (sched_getparam(tid, &p) == 0) t.priority = p.sched_priority;
    if (t.policy >= 0) out.push_back(t);
  }
  return out;
}

// For its lifetime the calling thread lacks CAP_SYS_NICE (effective set only,
// so it can take it back) and the process's RLIMIT_RTPRIO soft limit is 0:
// SCHED_FIFO is refused to this thread, as to an unprivileged process.
class WithoutRealtimePrivilege {
 public:
  WithoutRealtimePrivilege() {
    ok_ = getrlimit(RLIMIT_RTPRIO, &saved_limit_) == 0 &&
          syscall(SYS_capget, &header_, saved_caps_) == 0;
    if (!ok_) return;
    rlimit none = saved_limit_;
    none.rlim_cur = 0;
    __user_cap_data_struct caps[2] = {saved_caps_[0], saved_caps_[1]};
    caps[CAP_TO_INDEX(CAP_SYS_NICE)].effective &= ~CAP_TO_MASK(CAP_SYS_NICE);
    ok_ = setrlimit(RLIMIT_RTPRIO, &none) == 0 && syscall(SYS_capset, &header_, caps) == 0;
  }
  ~WithoutRealtimePrivilege() {
    syscall(SYS_capset, &header_, saved_caps_);
    setrlimit(RLIMIT_RTPRIO, &saved_limit_);
  }
  WithoutRealtimePrivilege(const WithoutRealtimePrivilege&) = delete;
  WithoutRealtimePrivilege& operator=(const WithoutRealtimePrivilege&) = delete;
  bool ok() const { return ok_; }

 private:
  bool ok_ = false;
  rlimit saved_limit_{};
  __user_cap_header_struct header_{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct saved_caps_[2]{};
};

class RealtimePriorityTest : public ::testing::Test {
 protected:
  ::idgen::testing::TempDir dir_{"idgen-rt-test-"};  // first: destroyed last

  void SetUp() override { leases_ = *coord::FileLeaseProvider::Create(dir_.path()); }

  absl::StatusOr<std::unique_ptr<Node>> Create(int realtime_priority, int grpc_threads = 1) {
    NodeOptions o;
    o.listen = "127.0.0.1:0";
    o.admin_listen = "127.0.0.1:0";
    o.grpc_threads = grpc_threads;
    o.realtime_priority = realtime_priority;
    return Node::Create(o, leases_.get(), SystemClock::Get());
  }

  // Files under the state dir's workers/ (locks and reservations).
  std::vector<std::string> WorkerFiles() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path() + "/workers")) {
      out.push_back(e.path().filename().string());
    }
    return out;
  }

  std::unique_ptr<coord::FileLeaseProvider> leases_;
};

TEST_F(RealtimePriorityTest, QueueThreadsAndOnlyThemRunUnderFifoAndServe) {
  ASSERT_TRUE(CheckRealtimePriority(7).ok())
      << "this test needs root or CAP_SYS_NICE (CI runs the tests as root)";
  auto node = Create(/*realtime_priority=*/7, /*grpc_threads=*/2);
  ASSERT_TRUE(node.ok()) << node.status();
  ASSERT_TRUE((*node)->Start().ok());

  int queue_threads = 0;
  for (const ThreadSched& t : ProcessThreads()) {
    if (absl::StartsWith(t.name, "idgen-cq-")) {
      ++queue_threads;
      EXPECT_EQ(t.policy, SCHED_FIFO) << t.name;
      EXPECT_EQ(t.priority, 7) << t.name;
    } else {
      EXPECT_EQ(t.policy, SCHED_OTHER) << t.name << " should run under the normal scheduler";
    }
  }
  EXPECT_EQ(queue_threads, 2);

  auto stub = v1::IdGenerator::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", (*node)->grpc_port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::NextIdsRequest req;
  req.set_count(3);
  v1::NextIdsResponse resp;
  ASSERT_TRUE(stub->NextIds(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.ids_size(), 3);
  (*node)->Shutdown(absl::Milliseconds(100));
}

TEST_F(RealtimePriorityTest, ZeroLeavesTheQueueThreadsNormal) {
  auto node = Create(/*realtime_priority=*/0);
  ASSERT_TRUE(node.ok()) << node.status();
  ASSERT_TRUE((*node)->Start().ok());
  int queue_threads = 0;
  for (const ThreadSched& t : ProcessThreads()) {
    if (!absl::StartsWith(t.name, "idgen-cq-")) continue;
    ++queue_threads;
    EXPECT_EQ(t.policy, SCHED_OTHER) << t.name;
  }
  EXPECT_EQ(queue_threads, 1);
  (*node)->Shutdown(absl::Milliseconds(100));
}

TEST_F(RealtimePriorityTest, RefusedPriorityFailsBeforeAnythingIsClaimed) {
  {
    WithoutRealtimePrivilege unprivileged;
    ASSERT_TRUE(unprivileged.ok()) << "could not drop CAP_SYS_NICE / RLIMIT_RTPRIO";
    auto node = Create(/*realtime_priority=*/5);
    ASSERT_FALSE(node.ok());
    EXPECT_EQ(node.status().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_THAT(std::string(node.status().message()), HasSubstr("SCHED_FIFO priority 5"));
    EXPECT_THAT(std::string(node.status().message()), HasSubstr("CAP_SYS_NICE"));
    EXPECT_TRUE(WorkerFiles().empty()) << "a refused node claimed a worker id";
  }
  // The privilege is back: the same options now start.
  EXPECT_TRUE(CheckRealtimePriority(5).ok());
}

TEST_F(RealtimePriorityTest, OutOfRangeIsInvalid) {
  for (int bad : {-1, 100}) {
    absl::Status s = CheckRealtimePriority(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(s.message()), HasSubstr("outside 0..99")) << bad;
    auto node = Create(bad);
    ASSERT_FALSE(node.ok());
    EXPECT_EQ(node.status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(WorkerFiles().empty());
  EXPECT_TRUE(CheckRealtimePriority(0).ok());
}

}  // namespace
}  // namespace idgen::server
