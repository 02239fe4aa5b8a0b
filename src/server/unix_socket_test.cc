// Copyright idgen authors.
#include "src/server/unix_socket.h"
#include "src/testing/temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cstdlib>

#include <cstring>
#include <fstream>
#include <string>

namespace idgen::server {
namespace {

using ::testing::HasSubstr;

bool Exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

// A socket bound at `path`; listening or not. Closed (the file stays) on
// destruction.
class BoundSocket {
 public:
  BoundSocket(const std::string& path, bool listen, int backlog = 4)
      : fd_(socket(AF_UNIX, SOCK_STREAM, 0)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    ok_ = fd_ >= 0 && bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 &&
          (!listen || ::listen(fd_, backlog) == 0);
  }
  ~BoundSocket() {
    if (fd_ >= 0) close(fd_);
  }
  BoundSocket(const BoundSocket&) = delete;
  BoundSocket& operator=(const BoundSocket&) = delete;
  bool ok() const { return ok_; }

 private:
  int fd_;
  bool ok_ = false;
};

class UnixSocketTest : public ::testing::Test {
 protected:
  ::idgen::testing::TempDir dir_{"idgen-unix-"};  // first: destroyed last

  void SetUp() override { path_ = dir_.path() + "/grpc.sock"; }

  std::string path_;
};

TEST_F(UnixSocketTest, NothingThereIsReady) {
  EXPECT_TRUE(PrepareUnixSocket(path_).ok());
  EXPECT_FALSE(Exists(path_));
}

TEST_F(UnixSocketTest, MissingDirectoryIsNamed) {
  absl::Status s = PrepareUnixSocket(dir_.path() + "/no/such/dir/grpc.sock");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("directory \"" + dir_.path() + "/no/such/dir\" does not exist"));
}

TEST_F(UnixSocketTest, TooLongPathIsRejected) {
  absl::Status s = PrepareUnixSocket(dir_.path() + "/" + std::string(120, 'x'));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("at most 107 fit"));
}

TEST_F(UnixSocketTest, RegularFileIsLeftAlone) {
  std::ofstream(path_) << "keep me";
  absl::Status s = PrepareUnixSocket(path_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("is not a socket"));
  std::ifstream in(path_);
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "keep me");
}

TEST_F(UnixSocketTest, SocketSomeoneListensOnIsInUse) {
  BoundSocket live(path_, /*listen=*/true);
  ASSERT_TRUE(live.ok());
  absl::Status s = PrepareUnixSocket(path_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("listening on it already"));
  EXPECT_TRUE(Exists(path_));
}

// A listener that accepts nothing, its backlog full: still in use, and the
// probe must not wait for room (a blocking connect would hang here).
TEST_F(UnixSocketTest, ListenerWithFullBacklogIsInUse) {
  BoundSocket hung(path_, /*listen=*/true, /*backlog=*/0);
  ASSERT_TRUE(hung.ok());
  const int queued = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
  ASSERT_GE(queued, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path_.data(), path_.size());
  ASSERT_EQ(connect(queued, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  absl::Status s = PrepareUnixSocket(path_);
  close(queued);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("listening on it already"));
}

TEST_F(UnixSocketTest, StaleSocketIsRemoved) {
  {
    BoundSocket dead(path_, /*listen=*/false);
    ASSERT_TRUE(dead.ok());
  }
  ASSERT_TRUE(Exists(path_));
  EXPECT_TRUE(PrepareUnixSocket(path_).ok());
  EXPECT_FALSE(Exists(path_));
}

}  // namespace
}  // namespace idgen::server
