// Copyright idgen authors.
//
// Test support for HttpServer's tests (not linked into the library):
// RawConnection, a connection on a plain socket that sends bytes exactly as
// given (malformed framing, pipelining, keep-alive, half-sent requests) and
// reads responses with Beast's parser, and helpers that build request text,
// start a server (failing the current test if that fails), name its URL and
// echo requests back. Tests that send well-formed requests use the project's
// HttpClient (src/http/client.h) with UrlOf() instead.
//
// Thread-safety: a RawConnection belongs to one thread; the free functions may
// be called concurrently.
#ifndef IDGEN_HTTP_TESTING_RAW_CONNECTION_H_
#define IDGEN_HTTP_TESTING_RAW_CONNECTION_H_

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/system_error.hpp>

#include "src/http/http_server.h"

namespace idgen::http::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using ClientResponse = bhttp::response<bhttp::string_body>;

// A blocking HTTP/1.1 connection on a plain socket, for the bytes HttpClient
// would never send. Every read and write gives up
// after 10 s (SO_RCVTIMEO/SO_SNDTIMEO), so a broken server fails the test
// instead of hanging it. It is also the SyncReadStream Beast's parser reads.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{};
    tv.tv_sec = 10;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // One response, or nullopt on EOF, timeout or a parse error. `head`: the
  // response answers a HEAD request (has no body whatever it says).
  std::optional<ClientResponse> Read(bool head = false) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(16 << 20);
    parser.skip(head);
    beast::error_code ec;
    bhttp::read(*this, buffer_, parser, ec);
    if (ec) return std::nullopt;
    return parser.release();
  }

  std::optional<ClientResponse> RoundTrip(std::string_view request, bool head = false) {
    if (!Send(request)) return std::nullopt;
    return Read(head);
  }

  // True if the server closes the connection (a read sees EOF or a reset)
  // before the read timeout; buffered or further data counts as "not closed".
  bool SeesClose() {
    if (buffer_.size() > 0) return false;
    char c;
    const ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

  // SyncReadStream for Beast.
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, beast::error_code& ec) {
    ec = {};
    const net::mutable_buffer b = *net::buffer_sequence_begin(buffers);
    const ssize_t n = ::recv(fd_, b.data(), b.size(), 0);
    if (n == 0) ec = net::error::eof;
    if (n < 0) ec = beast::error_code(errno, boost::system::system_category());
    return n > 0 ? static_cast<size_t>(n) : 0;
  }
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    beast::error_code ec;
    const size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  beast::flat_buffer buffer_;
};

// The text of a GET of `target` with a Host field and `extra_headers` (whole
// lines, each ending in CRLF), and of a POST of `body` to `target`.
std::string Get(std::string_view target, std::string_view extra_headers = "");
std::string Post(std::string_view target, std::string_view body);

// The value of header `name` in `r`, or "" if it has none.
std::string HeaderOf(const ClientResponse& r, std::string_view name);

// Echoes the request as text: method, path, then one "name=value" line per
// query parameter; or the body for POST.
void Echo(const Request& req, Response& resp);

// "http://127.0.0.1:PORT" + `target` for a server listening on 127.0.0.1.
std::string UrlOf(const HttpServer& server, std::string_view target = "/");

// Starts a server; on failure, fails the current test and returns nullptr.
std::unique_ptr<HttpServer> StartServer(HttpServer::Options options);
// The same with default options and `handler`.
std::unique_ptr<HttpServer> StartServer(Handler handler);

}  // namespace idgen::http::testing

#endif  // IDGEN_HTTP_TESTING_RAW_CONNECTION_H_
