// Copyright idgen authors.
#include "src/cli/service_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/testing/temp_dir.h"

namespace idgen::cli {
namespace {

// A datagram socket bound at `path` (the service manager's end).
int BindDatagram(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (path[0] == '@') addr.sun_path[0] = '\0';
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  EXPECT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), len), 0) << std::strerror(errno);
  return fd;
}

std::string Receive(int fd) {
  char buf[256];
  const ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
  return n < 0 ? std::string("<nothing>") : std::string(buf, static_cast<size_t>(n));
}

TEST(ServiceNotifyTest, SendsTheStateToAPathSocket) {
  ::idgen::testing::TempDir dir{"idgen-notify-test-"};
  const std::string path = dir.path() + "/notify";
  const int fd = BindDatagram(path);
  ASSERT_TRUE(NotifySocket(path, "READY=1").ok());
  EXPECT_EQ(Receive(fd), "READY=1");
  ASSERT_TRUE(NotifySocket(path, "STOPPING=1").ok());
  EXPECT_EQ(Receive(fd), "STOPPING=1");
  ::close(fd);
}

TEST(ServiceNotifyTest, SendsToAnAbstractSocket) {
  const std::string name = "@idgen-notify-test-" + std::to_string(::getpid());
  const int fd = BindDatagram(name);
  ASSERT_TRUE(NotifySocket(name, "READY=1").ok());
  EXPECT_EQ(Receive(fd), "READY=1");
  ::close(fd);
}

TEST(ServiceNotifyTest, NoSocketVariableIsNotAnError) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(NotifyServiceManager("READY=1").ok());
}

TEST(ServiceNotifyTest, UnreachableOrMalformedSocketIsAnErrorNamingIt) {
  absl::Status gone = NotifySocket("/nonexistent/idgen-notify", "READY=1");
  EXPECT_FALSE(gone.ok());
  EXPECT_THAT(gone.message(), ::testing::HasSubstr("/nonexistent/idgen-notify"));
  EXPECT_EQ(NotifySocket("relative", "READY=1").code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace idgen::cli
