// Copyright idgen authors.
#include "src/http/http_server.h"

#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <future>
#include <limits>
#include <thread>
#include <unordered_set>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "idgen/mutex.h"

namespace idgen::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using beast::error_code;

// Every connection lives on one io_context, run by one thread, so no strands
// are needed and the concrete executor type avoids any_io_executor (which
// allocates when it holds a strand).
using Executor = net::io_context::executor_type;
using Socket = net::basic_stream_socket<tcp, Executor>;
using Acceptor = net::basic_socket_acceptor<tcp, Executor>;
using Timer = net::basic_waitable_timer<std::chrono::steady_clock,
                                        net::wait_traits<std::chrono::steady_clock>, Executor>;
using Stream = beast::basic_stream<tcp, Executor, beast::unlimited_rate_policy>;
using WorkGuard = net::executor_work_guard<Executor>;

constexpr std::string_view kDefaultContentType = "application/json";
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// After a response that closes the connection, the server reads and drops
// what the client still sends (at most this much, for at most kLingerTime)
// so that unread input does not turn the close into a reset that destroys
// the response before the client reads it.
constexpr size_t kLingerMaxBytes = 1 << 20;
constexpr std::chrono::seconds kLingerTime(2);

char ToLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  }
  return true;
}

std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendNumber(std::string& out, uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

// The IMF-fixdate of the current second, cached per thread.
std::string_view HttpDate() {
  struct Cache {
    std::time_t second = -1;
    char text[32];
  };
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  thread_local Cache cache;
  const std::time_t now = std::time(nullptr);
  if (now != cache.second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::snprintf(cache.text, sizeof(cache.text), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                  kDays[tm.tm_wday % 7], tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    cache.second = now;
  }
  return {cache.text, 29};
}

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

bool IsFieldValue(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

// Why a response from the handler cannot be sent, or "" if it can.
std::string_view InvalidResponse(const Response& r) {
  if (r.status < 200 || r.status > 999) return "status outside 200..999";
  if (!IsFieldValue(r.content_type)) return "invalid content type";
  for (const auto& [name, value] : r.headers) {
    if (!IsToken(name) || !IsFieldValue(value)) return "invalid header field";
  }
  return "";
}

void ResetResponse(Response& r) {
  r.status = 200;
  r.content_type.assign(kDefaultContentType);
  r.body.clear();
  r.headers.clear();
}

// The pair at `index` of `v` (index <= v.size()), appended if needed. The
// caller overwrites its strings in place, reusing their capacity, so that a
// connection's steady state does not allocate.
std::pair<std::string, std::string>& Slot(std::vector<std::pair<std::string, std::string>>& v,
                                          size_t index) {
  if (index == v.size()) v.emplace_back();
  return v[index];
}

// Fills req.path and req.query from req.target. Returns "" or why the target
// is unacceptable.
std::string_view ParseTarget(Request& req) {
  std::string_view t = req.target;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (t.size() >= scheme.size() && EqualsIgnoreCase(t.substr(0, scheme.size()), scheme)) {
      const size_t start = t.find_first_of("/?", scheme.size());
      t = start == std::string_view::npos ? std::string_view() : t.substr(start);
      break;
    }
  }
  const size_t q = t.find('?');
  const std::string_view path = t.substr(0, q);
  size_t count = 0;
  if (t == "*") {
    req.path.assign(t);
  } else if (path.empty()) {
    req.path.assign("/");
  } else if (path[0] != '/') {
    return "request target must start with '/'";
  } else {
    req.path.assign(path);
  }
  if (q != std::string_view::npos) {
    std::string_view rest = t.substr(q + 1);
    while (!rest.empty()) {
      const size_t amp = rest.find('&');
      const std::string_view item = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      if (item.empty()) continue;
      const size_t eq = item.find('=');
      auto& [name, value] = Slot(req.query, count);
      if (!PercentDecode(item.substr(0, eq), true, &name) ||
          !PercentDecode(eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1),
                         true, &value)) {
        return "bad percent-encoding in query";
      }
      ++count;
    }
  }
  req.query.resize(count);
  return "";
}

// Parses a request straight into a Request, reusing its strings.
class RequestParser final : public bhttp::basic_parser<true> {
 public:
  explicit RequestParser(Request* req) : req_(req) {}

  int version() const { return version_; }
  bool expect_continue() const { return expect_continue_; }

 private:
  void on_request_impl(bhttp::verb, beast::string_view method, beast::string_view target,
                       int version, error_code&) override {
    req_->method.assign(method.data(), method.size());
    req_->target.assign(target.data(), target.size());
    version_ = version;
  }
  void on_response_impl(int, beast::string_view, int, error_code&) override {}
  void on_field_impl(bhttp::field name, beast::string_view name_string, beast::string_view value,
                     error_code&) override {
    if (name == bhttp::field::expect && EqualsIgnoreCase(View(value), "100-continue")) {
      expect_continue_ = true;
    }
    auto& slot = Slot(req_->headers, fields_);
    slot.first.assign(name_string.data(), name_string.size());
    slot.second.assign(value.data(), value.size());
    ++fields_;
  }
  void on_header_impl(error_code&) override { req_->headers.resize(fields_); }
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    // The parser has already checked `length` against the body limit.
    if (length) req_->body.reserve(static_cast<size_t>(*length));
  }
  size_t on_body_impl(beast::string_view body, error_code&) override {
    req_->body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, error_code&) override {
    req_->body.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  Request* req_;
  size_t fields_ = 0;
  int version_ = 11;
  bool expect_continue_ = false;
};

std::vector<std::unique_ptr<net::io_context>> MakeContexts(int n) {
  std::vector<std::unique_ptr<net::io_context>> iocs;
  // Hint 1: each io_context is run by one thread (others only post to it).
  for (int i = 0; i < n; ++i) iocs.push_back(std::make_unique<net::io_context>(1));
  return iocs;
}

absl::StatusOr<tcp::endpoint> ParseListenAddress(std::string_view listen) {
  auto bad = [listen](std::string_view why) {
    std::string msg = "listen address \"";
    msg.append(listen).append("\": ").append(why);
    return absl::InvalidArgumentError(msg);
  };
  std::string_view host;
  std::string_view port;
  net::ip::address address;
  error_code ec;
  if (!listen.empty() && listen[0] == '[') {
    const size_t close = listen.find(']');
    if (close == std::string_view::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      return bad("expected [IPV6]:PORT");
    }
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
    address = net::ip::make_address_v6(std::string(host), ec);
    if (ec) return bad("\"" + std::string(host) + "\" is not an IPv6 address");
  } else {
    const size_t colon = listen.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return bad("expected HOST:PORT");
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return bad("an IPv6 address must be in brackets, as in [::1]:8080");
    }
    if (host == "localhost") {
      address = net::ip::address_v4::loopback();
    } else {
      address = net::ip::make_address_v4(std::string(host), ec);
      if (ec) {
        return bad("host \"" + std::string(host) +
                   "\" is not an IPv4 address, a bracketed IPv6 address or localhost");
      }
    }
  }
  unsigned port_number = 0;
  const auto r = std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (port.empty() || r.ec != std::errc() || r.ptr != port.data() + port.size() ||
      port_number > 65535) {
    return bad("port \"" + std::string(port) + "\" is not a number in 0..65535");
  }
  return tcp::endpoint(address, static_cast<unsigned short>(port_number));
}

class Connection;

}  // namespace

// ---------------------------------------------------------------------------

class HttpServer::Impl {
 public:
  explicit Impl(Options options);
  ~Impl() { Stop(); }

  absl::Status Listen(const tcp::endpoint& endpoint);
  void Run();
  void Stop();
  int port() const { return port_; }

  // For connections.
  const Options& options() const { return options_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  void SetTimeout(Stream& stream) const {
    if (idle_.has_value()) {
      stream.expires_after(*idle_);
    } else {
      stream.expires_never();
    }
  }
  void Register(Connection* c) ABSL_LOCKS_EXCLUDED(mu_);
  void Unregister(Connection* c) ABSL_LOCKS_EXCLUDED(mu_);
  // Runs the handler; on an exception or an invalid response, resp is a 500.
  void Answer(const Request& req, Response& resp);
  // Runs the asynchronous handler; false (logged) if it threw.
  bool AnswerAsync(const Request& req, Response& resp, Done done);
  // Turns an invalid response (see InvalidResponse) into a 500.
  void CheckResponse(Response& resp);
  // Fills resp with an error answer through the configured ErrorWriter.
  void WriteError(int status, std::string_view detail, Response& resp);

 private:
  void Accept();
  void OnAccept(error_code ec, Socket socket);
  bool RunningInIoThread() const;
  void LogHandlerFailureOnce(std::string_view what);

  const Options options_;
  std::optional<std::chrono::steady_clock::duration> idle_;  // nullopt: no timeout
  std::atomic<bool> stopping_{false};
  std::atomic<bool> logged_handler_failure_{false};
  std::atomic<bool> logged_accept_failure_{false};

  // Connections unregister from their destructors, which may run while an
  // io_context is destroyed: mu_ and conns_ are declared before iocs_.
  Mutex mu_;
  std::unordered_set<Connection*> conns_ ABSL_GUARDED_BY(mu_);

  Mutex stop_mu_;
  bool stopped_ ABSL_GUARDED_BY(stop_mu_) = false;

  // One io_context per thread; connections are spread over them round-robin.
  // The acceptor lives on the first one.
  std::vector<std::unique_ptr<net::io_context>> iocs_;
  size_t next_ioc_ = 0;  // used by the accept loop only
  // Keep idle io_contexts running until the acceptor is closed.
  std::vector<WorkGuard> work_;
  Acceptor acceptor_;
  Timer accept_retry_;
  std::vector<std::thread> threads_;
  std::vector<std::future<void>> threads_done_;  // ready when run() has returned
  int port_ = 0;
};

namespace {

// One client connection: reads a request, runs the handler, writes the
// response, repeats. Every member is touched only from the thread that runs
// the connection's io_context.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(HttpServer::Impl* server, Socket socket)
      : server_(server), stream_(std::move(socket)) {
    server_->Register(this);
  }
  ~Connection() { server_->Unregister(this); }

  Executor executor() { return stream_.get_executor(); }

  void Start() {
    error_code ignored;
    stream_.socket().set_option(tcp::no_delay(true), ignored);
    ReadRequest();
  }

  // The server is stopping: close now unless a request is in flight (then
  // ReadRequest closes after its response).
  void OnServerStop() {
    if (!busy_) Close();
  }

 private:
  void ReadRequest() {
    busy_ = false;
    if (server_->stopping()) return Close();
    const HttpServer::Options& opts = server_->options();
    req_.body.clear();
    parser_.emplace(&req_);
    parser_->body_limit(static_cast<std::uint64_t>(opts.max_body_bytes));
    parser_->header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));
    server_->SetTimeout(stream_);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Connection::OnHeader, shared_from_this()));
  }

  void OnHeader(error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    busy_ = true;
    if (parser_->is_done()) return Dispatch();
    if (parser_->expect_continue() && parser_->version() >= 11) {
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = shared_from_this()](error_code wec, size_t) {
                         if (wec) return self->Close();
                         self->ReadBody();
                       });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Connection::OnBody, shared_from_this()));
  }

  void OnBody(error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    Dispatch();
  }

  void OnReadError(error_code ec) {
    const HttpServer::Options& opts = server_->options();
    if (ec == bhttp::error::body_limit) {
      std::string detail = "request body exceeds ";
      AppendNumber(detail, opts.max_body_bytes);
      return FailRequest(413, detail.append(" bytes"));
    }
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      std::string detail = "request header exceeds ";
      AppendNumber(detail, opts.max_header_bytes);
      return FailRequest(431, detail.append(" bytes"));
    }
    // A clean close between requests, a close in the middle of one, a
    // timeout, a cancellation by Close(), or a socket error: nobody to answer.
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
        ec.category() != bhttp::make_error_code(bhttp::error::body_limit).category()) {
      return Close();
    }
    FailRequest(400, "malformed request: " + ec.message());
  }

  // Answers a request that could not be read and closes the connection.
  void FailRequest(int status, std::string_view detail) {
    busy_ = true;
    ResetResponse(resp_);
    server_->WriteError(status, detail, resp_);
    WriteResponse(/*close=*/true, /*head=*/false, /*http10_keep_alive=*/false);
  }

  void Dispatch() {
    if (const std::string_view bad = ParseTarget(req_); !bad.empty()) {
      return FailRequest(400, bad);
    }
    ResetResponse(resp_);
    if (server_->options().async_handler) return DispatchAsync();
    server_->Answer(req_, resp_);
    Respond();
  }

  // Runs the asynchronous handler. Its `done` may run inline (inside the
  // handler call, on this thread) or later on any thread; the first call
  // wins, and the response is written on this connection's thread.
  void DispatchAsync() {
    auto fired = std::make_shared<std::atomic<bool>>(false);
    in_handler_ = true;
    completed_inline_ = false;
    Done done = [self = shared_from_this(), fired] {
      if (fired->exchange(true)) return;
      if (self->executor().running_in_this_thread() && self->in_handler_) {
        self->completed_inline_ = true;
        return;
      }
      net::post(self->executor(), [self] { self->AfterAsyncAnswer(); });
    };
    const bool ok = server_->AnswerAsync(req_, resp_, std::move(done));
    in_handler_ = false;
    if (!ok) {
      // The handler threw. If it had already handed the answer to another
      // thread, that answer is on its way; otherwise answer 500 now.
      if (fired->exchange(true) && !completed_inline_) return;
      ResetResponse(resp_);
      server_->WriteError(500, "internal server error", resp_);
      return Respond();
    }
    if (completed_inline_) AfterAsyncAnswer();
  }

  void AfterAsyncAnswer() {
    server_->CheckResponse(resp_);
    Respond();
  }

  void Respond() {
    const bool keep_alive = parser_->keep_alive();
    const bool http10 = parser_->version() < 11;
    bool close = !keep_alive || server_->stopping();
    for (const auto& [name, value] : resp_.headers) {
      if (EqualsIgnoreCase(name, "connection") && EqualsIgnoreCase(value, "close")) close = true;
    }
    WriteResponse(close, req_.method == "HEAD", http10 && !close);
  }

  void WriteResponse(bool close, bool head, bool http10_keep_alive) {
    const int status = resp_.status;
    head_.clear();
    head_.append("HTTP/1.1 ");
    AppendNumber(head_, static_cast<uint64_t>(status));
    head_.push_back(' ');
    head_.append(ReasonPhrase(status));
    head_.append("\r\nDate: ");
    head_.append(HttpDate());
    head_.append("\r\n");
    const bool no_body = status == 204 || status == 304;
    if (!no_body) {
      if (!resp_.content_type.empty()) {
        head_.append("Content-Type: ").append(resp_.content_type).append("\r\n");
      }
      head_.append("Content-Length: ");
      AppendNumber(head_, resp_.body.size());
      head_.append("\r\n");
    }
    for (const auto& [name, value] : resp_.headers) {
      if (EqualsIgnoreCase(name, "content-length") || EqualsIgnoreCase(name, "transfer-encoding") ||
          EqualsIgnoreCase(name, "date") || EqualsIgnoreCase(name, "connection") ||
          EqualsIgnoreCase(name, "content-type")) {
        continue;
      }
      head_.append(name).append(": ").append(value).append("\r\n");
    }
    if (close) {
      head_.append("Connection: close\r\n");
    } else if (http10_keep_alive) {
      head_.append("Connection: keep-alive\r\n");
    }
    head_.append("\r\n");
    const bool send_body = !no_body && !head && !resp_.body.empty();
    const std::array<net::const_buffer, 2> buffers = {
        net::buffer(head_), send_body ? net::buffer(resp_.body) : net::const_buffer()};
    server_->SetTimeout(stream_);
    net::async_write(stream_, buffers,
                     beast::bind_front_handler(&Connection::OnWrite, shared_from_this(), close));
  }

  void OnWrite(bool close, error_code ec, size_t) {
    if (ec) return Close();
    if (close) return LingeringClose();
    ReadRequest();
  }

  void LingeringClose() {
    busy_ = false;
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec || server_->stopping()) return Close();
    stream_.expires_after(kLingerTime);
    buffer_.consume(buffer_.size());
    lingered_ = 0;
    Linger();
  }

  void Linger() {
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](error_code ec, size_t n) {
                              self->lingered_ += n;
                              if (ec || self->lingered_ > kLingerMaxBytes) return self->Close();
                              self->Linger();
                            });
  }

  void Close() {
    busy_ = false;
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  HttpServer::Impl* const server_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  Request req_;
  Response resp_;
  std::string head_;
  size_t lingered_ = 0;
  bool in_handler_ = false;        // inside the async handler call
  bool completed_inline_ = false;  // its `done` ran during that call
  bool busy_ = false;              // a request is being read past its header, handled or answered
};

}  // namespace

HttpServer::Impl::Impl(Options options)
    : options_(std::move(options)),
      iocs_(MakeContexts(options_.threads)),
      acceptor_(iocs_[0]->get_executor()),
      accept_retry_(iocs_[0]->get_executor()) {
  // Beyond a year is "never", which also keeps now() + timeout from overflowing.
  if (options_.idle_timeout < absl::Hours(24 * 365)) {
    idle_ = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        absl::ToChronoNanoseconds(options_.idle_timeout));
  }
}

absl::Status HttpServer::Impl::Listen(const tcp::endpoint& endpoint) {
  auto fail = [this](std::string_view what, const error_code& ec) {
    std::string msg = "listen address \"";
    msg.append(options_.listen).append("\": ").append(what).append(": ").append(ec.message());
    return absl::UnavailableError(msg);
  };
  error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return fail("socket", ec);
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return fail("setsockopt", ec);
  acceptor_.bind(endpoint, ec);
  if (ec) return fail("bind", ec);
  acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen", ec);
  const tcp::endpoint local = acceptor_.local_endpoint(ec);
  if (ec) return fail("getsockname", ec);
  port_ = local.port();
  return absl::OkStatus();
}

void HttpServer::Impl::Run() {
  for (auto& ioc : iocs_) work_.push_back(net::make_work_guard(*ioc));
  Accept();
  threads_.reserve(iocs_.size());
  for (auto& ioc : iocs_) {
    std::promise<void> done;
    threads_done_.push_back(done.get_future());
    threads_.emplace_back([ctx = ioc.get(), done = std::move(done)]() mutable {
      ctx->run();
      done.set_value();
    });
  }
}

bool HttpServer::Impl::RunningInIoThread() const {
  for (const auto& ioc : iocs_) {
    if (ioc->get_executor().running_in_this_thread()) return true;
  }
  return false;
}

void HttpServer::Impl::Accept() {
  net::io_context& target = *iocs_[next_ioc_];
  next_ioc_ = (next_ioc_ + 1) % iocs_.size();
  acceptor_.async_accept(target.get_executor(),
                         [this](error_code ec, Socket socket) { OnAccept(ec, std::move(socket)); });
}

void HttpServer::Impl::OnAccept(error_code ec, Socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
      ec == net::error::no_memory || ec.value() == ENFILE) {
    // Out of file descriptors or memory: retrying at once would spin.
    if (!logged_accept_failure_.exchange(true)) {
      std::fprintf(stderr, "idgen http: accept on %s failed: %s (retrying every 100 ms)\n",
                   options_.listen.c_str(), ec.message().c_str());
    }
    accept_retry_.expires_after(std::chrono::milliseconds(100));
    accept_retry_.async_wait([this](error_code wait_ec) {
      if (!wait_ec && acceptor_.is_open()) Accept();
    });
    return;
  }
  if (!ec && !stopping()) {
    auto conn = std::make_shared<Connection>(this, std::move(socket));
    net::dispatch(conn->executor(), [conn] { conn->Start(); });
  }
  Accept();
}

void HttpServer::Impl::Register(Connection* c) {
  MutexLock lock(&mu_);
  conns_.insert(c);
}

void HttpServer::Impl::Unregister(Connection* c) {
  MutexLock lock(&mu_);
  conns_.erase(c);
}

void HttpServer::Impl::Answer(const Request& req, Response& resp) {
  std::string_view failure;
  std::string what;
  try {
    options_.handler(req, resp);
    failure = InvalidResponse(resp);
  } catch (const std::exception& e) {
    what = std::string("handler threw: ") + e.what();
    failure = what;
  } catch (...) {
    failure = "handler threw a non-std::exception";
  }
  if (failure.empty()) return;
  LogHandlerFailureOnce(failure);
  ResetResponse(resp);
  WriteError(500, "internal server error", resp);
}

bool HttpServer::Impl::AnswerAsync(const Request& req, Response& resp, Done done) {
  try {
    options_.async_handler(req, resp, std::move(done));
    return true;
  } catch (const std::exception& e) {
    LogHandlerFailureOnce(std::string("handler threw: ") + e.what());
  } catch (...) {
    LogHandlerFailureOnce("handler threw a non-std::exception");
  }
  return false;
}

void HttpServer::Impl::CheckResponse(Response& resp) {
  const std::string_view failure = InvalidResponse(resp);
  if (failure.empty()) return;
  LogHandlerFailureOnce(failure);
  ResetResponse(resp);
  WriteError(500, "internal server error", resp);
}

void HttpServer::Impl::WriteError(int status, std::string_view detail, Response& resp) {
  if (options_.error_writer) {
    try {
      options_.error_writer(status, detail, resp);
      if (InvalidResponse(resp).empty()) return;
    } catch (...) {
    }
    ResetResponse(resp);
  }
  WritePlainError(status, detail, resp);
}

void HttpServer::Impl::LogHandlerFailureOnce(std::string_view what) {
  if (logged_handler_failure_.exchange(true)) return;
  std::fprintf(stderr, "idgen http (%s): answered 500: %.*s (further failures are not logged)\n",
               options_.listen.c_str(), static_cast<int>(what.size()), what.data());
}

void HttpServer::Impl::Stop() {
  if (RunningInIoThread()) {
    std::fprintf(stderr, "idgen http: HttpServer::Stop called from a handler thread\n");
    std::abort();
  }
  MutexLock stop_lock(&stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  stopping_.store(true, std::memory_order_release);
  // Runs on the accept loop's thread, so no accepted socket can be handed to
  // an io_context after its work guard is gone.
  net::post(acceptor_.get_executor(), [this] {
    error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
    work_.clear();
  });
  // Connections are collected first and told outside mu_: dropping the last
  // reference to one runs its destructor, which takes mu_.
  std::vector<std::shared_ptr<Connection>> conns;
  {
    MutexLock lock(&mu_);
    conns.reserve(conns_.size());
    for (Connection* c : conns_) {
      // Null while `c` is being constructed (it then sees stopping() when it
      // starts) or destroyed.
      if (std::shared_ptr<Connection> conn = c->weak_from_this().lock()) {
        conns.push_back(std::move(conn));
      }
    }
  }
  for (std::shared_ptr<Connection>& conn : conns) {
    net::post(conn->executor(), [conn] { conn->OnServerStop(); });
  }
  conns.clear();
  // Each run() returns by itself once the acceptor and every connection have
  // finished (so no accepted socket is left in a queued handler).
  if (options_.stop_timeout < absl::Hours(24 * 365)) {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              absl::ToChronoNanoseconds(options_.stop_timeout));
    for (std::future<void>& done : threads_done_) done.wait_until(deadline);
  } else {
    for (std::future<void>& done : threads_done_) done.wait();
  }
  // Ends whatever is still running after stop_timeout; pending operations
  // (and their connections) are destroyed with iocs_.
  for (auto& ioc : iocs_) ioc->stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

// ---------------------------------------------------------------------------

std::optional<std::string_view> Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

std::optional<std::string_view> Request::QueryParam(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::string_view ReasonPhrase(int status) {
  if (status < 0 || status > 999) return "";
  const bhttp::status s = bhttp::int_to_status(static_cast<unsigned>(status));
  if (s == bhttp::status::unknown) return "";
  return View(bhttp::obsolete_reason(s));
}

void WritePlainError(int status, std::string_view detail, Response& resp) {
  resp.status = status;
  resp.content_type.assign("text/plain; charset=utf-8");
  resp.body.clear();
  AppendNumber(resp.body, static_cast<uint64_t>(status));
  resp.body.push_back(' ');
  resp.body.append(ReasonPhrase(status)).append(": ").append(detail).append("\n");
}

bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  size_t i = 0;
  while (i < in.size()) {
    const size_t special = in.find_first_of(plus_is_space ? "%+" : "%", i);
    const size_t stop = special == std::string_view::npos ? in.size() : special;
    out->append(in.data() + i, stop - i);
    if (special == std::string_view::npos) break;
    i = special;
    if (in[i] == '+') {
      out->push_back(' ');
      ++i;
      continue;
    }
    if (in.size() - i < 3) return false;
    const int hi = HexValue(in[i + 1]);
    const int lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 3;
  }
  return true;
}

// ---------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(Options options) {
  if (!options.handler == !options.async_handler) {
    return absl::InvalidArgumentError(
        "HttpServer: exactly one of handler and async_handler is required");
  }
  if (options.threads < 1 || options.threads > 1024) {
    return absl::InvalidArgumentError("HttpServer: threads must be in 1..1024");
  }
  if (options.max_body_bytes == 0) {
    return absl::InvalidArgumentError("HttpServer: max_body_bytes must be positive");
  }
  if (options.max_header_bytes < 64 ||
      options.max_header_bytes > std::numeric_limits<std::uint32_t>::max()) {
    return absl::InvalidArgumentError("HttpServer: max_header_bytes must be in 64..2^32-1");
  }
  if (options.idle_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("HttpServer: idle_timeout must be positive");
  }
  if (options.stop_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("HttpServer: stop_timeout must not be negative");
  }
  absl::StatusOr<tcp::endpoint> endpoint = ParseListenAddress(options.listen);
  if (!endpoint.ok()) return endpoint.status();
  auto impl = std::make_unique<Impl>(std::move(options));
  if (absl::Status s = impl->Listen(*endpoint); !s.ok()) return s;
  impl->Run();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->port(); }

void HttpServer::Stop() { impl_->Stop(); }

}  // namespace idgen::http
