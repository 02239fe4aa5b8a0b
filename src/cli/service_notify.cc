// Copyright idgen authors.
#include "src/cli/service_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace idgen::cli {

absl::Status NotifySocket(const std::string& socket_name, absl::string_view state) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_name.size() < 2 || socket_name.size() >= sizeof(addr.sun_path) ||
      (socket_name[0] != '/' && socket_name[0] != '@')) {
    return absl::InvalidArgumentError(
        absl::StrCat("NOTIFY_SOCKET \"", socket_name, "\" is not a socket path or @name"));
  }
  std::memcpy(addr.sun_path, socket_name.data(), socket_name.size());
  if (socket_name[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_name.size());
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  const ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(&addr), len);
  const int err = errno;
  ::close(fd);
  if (sent != static_cast<ssize_t>(state.size())) {
    return absl::InternalError(absl::StrCat("notifying ", socket_name, ": ",
                                            sent < 0 ? std::strerror(err) : "short send"));
  }
  return absl::OkStatus();
}

absl::Status NotifyServiceManager(absl::string_view state) {
  const char* socket_name = std::getenv("NOTIFY_SOCKET");
  if (socket_name == nullptr || *socket_name == '\0') return absl::OkStatus();
  return NotifySocket(socket_name, state);
}

}  // namespace idgen::cli
