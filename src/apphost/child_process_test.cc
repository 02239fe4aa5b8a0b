// Copyright idgen authors.
#include "src/apphost/child_process.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace idgen::apphost {
namespace {

// The descriptors the child sees, as it lists them itself.
std::string ChildDescriptors(LogBuffer& log) {
  absl::StatusOr<std::unique_ptr<ChildProcess>> child = ChildProcess::Spawn(
      {.argv = {"/bin/sh", "-c", "echo fds: $(ls /proc/self/fd)"}, .log = &log});
  EXPECT_TRUE(child.ok()) << child.status();
  if (!child.ok()) return "";
  // Bounded: 500 x 10 ms.
  for (int i = 0; i < 500 && log.last_seq() == 0; ++i) absl::SleepFor(absl::Milliseconds(10));
  (*child)->Stop(absl::Seconds(5));
  for (const LogLine& line : log.Since(0)) {
    if (line.text.rfind("fds: ", 0) == 0) return line.text;
  }
  return "";
}

TEST(ChildProcessTest, InheritsNoDescriptorButStdio) {
  // A listening socket and a file opened without close-on-exec, at numbers
  // the child's own `ls` would not reuse.
  const int sock = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  ASSERT_EQ(listen(sock, 1), 0);
  ASSERT_EQ(dup2(sock, 200), 200);
  const int file = open("/dev/null", O_RDONLY);
  ASSERT_GE(file, 0);
  ASSERT_EQ(dup2(file, 201), 201);
  LogBuffer log;
  const std::string fds = ChildDescriptors(log);
  close(200);
  close(201);
  close(sock);
  close(file);
  ASSERT_FALSE(fds.empty()) << "no output from the child";
  EXPECT_EQ(fds.find(" 200"), std::string::npos) << fds;
  EXPECT_EQ(fds.find(" 201"), std::string::npos) << fds;
  // 0, 1, 2 and the directory ls reads (3).
  EXPECT_EQ(fds, "fds: 0 1 2 3") << fds;
}

}  // namespace
}  // namespace idgen::apphost
