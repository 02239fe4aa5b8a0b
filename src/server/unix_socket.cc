// Copyright idgen authors.
#include "src/server/unix_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace idgen::server {
namespace {

std::string Errno(int err) { return std::strerror(err); }

// The directory part of `path` ("." for a bare name).
std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Whether a process accepts connections on the socket at `path`: 1 yes,
// 0 no (refused: nobody listens), -1 cannot tell (errno set). Never blocks:
// a blocking connect would wait for as long as a hung listener's backlog
// stays full.
int Answers(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int rc = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int err = errno;
  close(fd);
  if (rc == 0) return 1;
  // EAGAIN: a listener whose backlog is full is still a listener.
  if (err == EAGAIN) return 1;
  if (err == ECONNREFUSED) return 0;
  errno = err;
  return -1;
}

}  // namespace

absl::Status PrepareUnixSocket(const std::string& path) {
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("Unix socket path \"", path, "\" is ",
                                                   path.size(), " bytes; at most ",
                                                   sizeof(sockaddr_un::sun_path) - 1, " fit"));
  }
  const std::string dir = DirectoryOf(path);
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat("cannot listen on unix:", path,
                                                      ": directory \"", dir,
                                                      "\" does not exist (create it first)"));
  }
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat("cannot listen on unix:", path, ": ", Errno(errno)));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot listen on unix:", path,
                     ": the path exists and is not a socket; it is left alone (remove it or pick "
                     "another path)"));
  }
  switch (Answers(path)) {
    case 1:
      return absl::FailedPreconditionError(
          absl::StrCat("cannot listen on unix:", path,
                       ": a process is listening on it already (another idgen serve?)"));
    case 0:
      // A socket file nobody listens on: what a killed server leaves behind.
      if (unlink(path.c_str()) != 0 && errno != ENOENT) {
        return absl::FailedPreconditionError(absl::StrCat(
            "cannot listen on unix:", path, ": cannot remove the stale socket: ", Errno(errno)));
      }
      return absl::OkStatus();
    default:
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot listen on unix:", path, ": cannot probe the socket there: ", Errno(errno)));
  }
}

}  // namespace idgen::server
