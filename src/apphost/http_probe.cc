// Copyright idgen authors.
#include "src/apphost/http_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace idgen::apphost {
namespace {

constexpr size_t kMaxResponse = 64 * 1024;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Waits for `events` on `fd` until `deadline`; false on timeout or error.
bool WaitFor(int fd, short events, absl::Time deadline) {  // NOLINT(google-runtime-int)
  for (;;) {
    const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (ms <= 0) return false;
    pollfd p{fd, events, 0};
    const int r = poll(&p, 1, static_cast<int>(ms));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace

absl::StatusOr<ProbeResult> HttpGet(const std::string& url, absl::Duration timeout) {
  constexpr absl::string_view kScheme = "http://";
  if (!absl::StartsWith(url, kScheme)) {
    return absl::InvalidArgumentError(absl::StrCat("probe URL must start with http://: ", url));
  }
  const std::string rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  const std::string hostport = rest.substr(0, slash);
  const std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  const size_t colon = hostport.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(hostport).substr(colon + 1), &port) || port <= 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("probe URL needs HOST:PORT: ", url));
  }
  std::string host = hostport.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("probe host must be an IPv4 address: ", url));
  }

  const absl::Time deadline = absl::Now() + timeout;
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return absl::InternalError("socket failed");
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EINPROGRESS || !WaitFor(fd.get(), POLLOUT, deadline)) {
      return absl::UnavailableError(absl::StrCat("no answer from ", hostport));
    }
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      return absl::UnavailableError(absl::StrCat(hostport, ": ", std::strerror(err)));
    }
  }
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: ", hostport, "\r\nConnection: close\r\n\r\n");
  size_t sent = 0;
  while (sent < request.size()) {
    if (!WaitFor(fd.get(), POLLOUT, deadline)) return absl::UnavailableError("send timed out");
    const ssize_t n = send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return absl::UnavailableError("send failed");
    if (n > 0) sent += static_cast<size_t>(n);
  }
  std::string response;
  char buf[4096];
  size_t want = kMaxResponse;  // until Content-Length says otherwise
  while (response.size() < want) {
    if (!WaitFor(fd.get(), POLLIN, deadline)) {
      return absl::UnavailableError(absl::StrCat("no response from ", hostport, " in time"));
    }
    const ssize_t n = recv(fd.get(), buf, sizeof(buf), 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return absl::UnavailableError("receive failed");
    }
    response.append(buf, static_cast<size_t>(n));
    const size_t end = response.find("\r\n\r\n");
    if (end != std::string::npos && want == kMaxResponse) {
      const std::string head = absl::AsciiStrToLower(response.substr(0, end));
      const size_t cl = head.find("\r\ncontent-length:");
      size_t length = 0;
      if (cl != std::string::npos) {
        const size_t eol = head.find("\r\n", cl + 2);
        if (absl::SimpleAtoi(absl::StripAsciiWhitespace(head.substr(cl + 17, eol - cl - 17)),
                             &length)) {
          want = std::min(kMaxResponse, end + 4 + length);
        }
      }
    }
  }
  // "HTTP/1.1 200 OK"
  if (response.size() < 12 || !absl::StartsWith(response, "HTTP/1.")) {
    return absl::UnavailableError(absl::StrCat("not an HTTP response from ", hostport));
  }
  ProbeResult result;
  if (!absl::SimpleAtoi(response.substr(9, 3), &result.status)) {
    return absl::UnavailableError(absl::StrCat("bad HTTP status line from ", hostport));
  }
  const size_t end = response.find("\r\n\r\n");
  if (end != std::string::npos) result.body = response.substr(end + 4);
  return result;
}

}  // namespace idgen::apphost
