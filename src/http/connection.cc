// Copyright idgen authors.
#include "src/http/connection.h"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "src/http/request_parser.h"
#include "src/http/wire.h"

namespace idgen::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using SslStream = beast::ssl_stream<Stream>;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// After a response that closes the connection, the server reads and drops
// what the client still sends (at most this much, for at most kLingerTime)
// so that unread input does not turn the close into a reset that destroys
// the response before the client reads it.
constexpr size_t kLingerMaxBytes = 1 << 20;
constexpr std::chrono::seconds kLingerTime(2);
// Empty lines (CRLF) ignored before a request line (RFC 9112 2.2); a few are
// what a sloppy client sends after a body, more is noise and gets a 400.
constexpr int kMaxEmptyLines = 4;
constexpr size_t kReadChunk = 4096;

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// The connection over stream type S: Stream (plain TCP) or SslStream.
template <class S>
class BasicConnection final : public Connection {
 public:
  BasicConnection(HttpServer::Impl* server, S stream)
      : server_(server), stream_(std::move(stream)) {
    server_->Register(this);
  }
  ~BasicConnection() override { server_->Unregister(this); }

  Executor executor() override { return Tcp().get_executor(); }
  void Start() override;
  void OnServerStop() override {
    if (!busy_) Close();
  }
  void OnEvict() override;

 private:
  using error_code = boost::beast::error_code;
  static constexpr bool kTls = !std::is_same_v<S, Stream>;

  Stream& Tcp() { return beast::get_lowest_layer(stream_); }
  std::shared_ptr<BasicConnection> Self() {
    return std::static_pointer_cast<BasicConnection>(shared_from_this());
  }

  void ReadRequest();
  // Skips empty lines before the request line, then reads the header.
  void ReadHeader();
  void ReadMore();
  void OnHeader(error_code ec, size_t);
  void ReadBody();
  void OnBody(error_code ec, size_t);
  void OnReadError(error_code ec);
  // Answers a request that could not be read and closes the connection.
  void FailRequest(int status, std::string_view detail);
  void Dispatch();
  // Runs the asynchronous handler. Its `done` may run inline (inside the
  // handler call, on this thread) or later on any thread; the first call
  // wins, and the response is written on this connection's thread.
  void DispatchAsync();
  void AfterAsyncAnswer();
  void Respond();
  void WriteResponse(bool close, bool head, bool http10_keep_alive);
  void OnWrite(bool close, error_code ec, size_t);
  void LingeringClose();
  void Linger();
  void Close();

  HttpServer::Impl* const server_;
  S stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  Request req_;
  Response resp_;
  std::string head_;
  size_t lingered_ = 0;
  int empty_lines_ = 0;               // skipped before the current request line
  bool first_request_ = true;         // the connection's first request is not read yet
  bool awaiting_first_byte_ = false;  // keep-alive wait: under idle_timeout, not the header's
  bool in_handler_ = false;           // inside the async handler call
  bool completed_inline_ = false;     // its `done` ran during that call
  bool busy_ = false;  // a request is being read past its header, handled or answered
};

template <class S>
void BasicConnection<S>::Start() {
  error_code ignored;
  Tcp().socket().set_option(tcp::no_delay(true), ignored);
  if constexpr (kTls) {
    // The handshake counts as reading the first request: idle, under its
    // header deadline.
    idle_since_.store(NowNanos(), std::memory_order_relaxed);
    server_->SetHeaderTimeout(Tcp());
    stream_.async_handshake(net::ssl::stream_base::server, [self = Self()](error_code ec) {
      if (ec == beast::error::timeout) {
        self->server_->CountRejection(RejectReason::kHeaderTimeout);
      }
      if (ec) return self->Close();
      self->ReadRequest();
    });
  } else {
    ReadRequest();
  }
}

template <class S>
void BasicConnection<S>::ReadRequest() {
  busy_ = false;
  idle_since_.store(NowNanos(), std::memory_order_relaxed);
  if (server_->stopping()) return Close();
  const HttpServer::Options& opts = server_->options();
  req_.body.clear();
  parser_.emplace(&req_);
  parser_->body_limit(static_cast<std::uint64_t>(opts.max_body_bytes));
  parser_->header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));
  empty_lines_ = 0;
  if (first_request_) {
    // Under the header deadline from the accept (TLS: set before the handshake).
    first_request_ = false;
    if constexpr (!kTls) server_->SetHeaderTimeout(Tcp());
  } else if (buffer_.size() > 0) {
    server_->SetHeaderTimeout(Tcp());  // pipelined: the next request has begun
  } else {
    server_->SetTimeout(Tcp());  // keep-alive wait; the header deadline starts with a byte
    awaiting_first_byte_ = true;
  }
  ReadHeader();
}

template <class S>
void BasicConnection<S>::ReadHeader() {
  if (awaiting_first_byte_ && buffer_.size() > 0) {
    awaiting_first_byte_ = false;
    server_->SetHeaderTimeout(Tcp());
  }
  while (empty_lines_ < kMaxEmptyLines) {
    const auto* p = static_cast<const char*>(buffer_.data().data());
    const size_t n = buffer_.size();
    if (n == 0 || (n == 1 && p[0] == '\r')) return ReadMore();
    if (n < 2 || p[0] != '\r' || p[1] != '\n') break;
    buffer_.consume(2);
    ++empty_lines_;
  }
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           beast::bind_front_handler(&BasicConnection::OnHeader, Self()));
}

template <class S>
void BasicConnection<S>::ReadMore() {
  stream_.async_read_some(buffer_.prepare(kReadChunk), [self = Self()](error_code ec, size_t n) {
    if (ec) return self->OnReadError(ec);
    self->buffer_.commit(n);
    self->ReadHeader();
  });
}

template <class S>
void BasicConnection<S>::OnHeader(error_code ec, size_t) {
  if (ec) return OnReadError(ec);
  busy_ = true;
  idle_since_.store(kNotIdle, std::memory_order_relaxed);
  if (parser_->is_done()) return Dispatch();
  server_->SetTimeout(Tcp());  // the body may take the idle timeout
  if (parser_->expect_continue() && parser_->version() >= 11) {
    net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                     [self = Self()](error_code wec, size_t) {
                       if (wec) return self->Close();
                       self->ReadBody();
                     });
    return;
  }
  ReadBody();
}

template <class S>
void BasicConnection<S>::ReadBody() {
  bhttp::async_read(stream_, buffer_, *parser_,
                    beast::bind_front_handler(&BasicConnection::OnBody, Self()));
}

template <class S>
void BasicConnection<S>::OnBody(error_code ec, size_t) {
  if (ec) return OnReadError(ec);
  Dispatch();
}

template <class S>
void BasicConnection<S>::OnReadError(error_code ec) {
  if (const RequestParser::Rejection& r = parser_->rejection(); r.status != 0) {
    return FailRequest(r.status, r.detail);
  }
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
  if (ec == beast::error::timeout) {
    server_->CountRejection(!busy_ && !awaiting_first_byte_ ? RejectReason::kHeaderTimeout
                                                            : RejectReason::kIdleTimeout);
  }
  // A clean close between requests, a close in the middle of one, a
  // timeout, a cancellation by Close(), or a socket error: nobody to answer.
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
      ec.category() != bhttp::make_error_code(bhttp::error::body_limit).category()) {
    return Close();
  }
  FailRequest(400, "malformed request: " + ec.message());
}

template <class S>
void BasicConnection<S>::FailRequest(int status, std::string_view detail) {
  busy_ = true;
  idle_since_.store(kNotIdle, std::memory_order_relaxed);
  server_->CountRejection(status == 431   ? RejectReason::kHeaderTooLarge
                          : status == 413 ? RejectReason::kBodyTooLarge
                                          : RejectReason::kMalformed);
  ResetResponse(resp_);
  server_->WriteError(status, detail, resp_);
  WriteResponse(/*close=*/true, /*head=*/false, /*http10_keep_alive=*/false);
}

template <class S>
void BasicConnection<S>::Dispatch() {
  if (const std::string_view bad = ParseTarget(req_); !bad.empty()) {
    return FailRequest(400, bad);
  }
  ResetResponse(resp_);
  if (server_->options().async_handler) return DispatchAsync();
  server_->Answer(req_, resp_);
  Respond();
}

template <class S>
void BasicConnection<S>::DispatchAsync() {
  auto fired = std::make_shared<std::atomic<bool>>(false);
  in_handler_ = true;
  completed_inline_ = false;
  Done done = [self = Self(), fired] {
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

template <class S>
void BasicConnection<S>::AfterAsyncAnswer() {
  server_->CheckResponse(resp_);
  Respond();
}

template <class S>
void BasicConnection<S>::Respond() {
  const bool keep_alive = parser_->keep_alive();
  const bool http10 = parser_->version() < 11;
  bool close = !keep_alive || server_->stopping();
  for (const auto& [name, value] : resp_.headers) {
    if (EqualsIgnoreCase(name, "connection") && EqualsIgnoreCase(value, "close")) close = true;
  }
  WriteResponse(close, req_.method == "HEAD", http10 && !close);
}

template <class S>
void BasicConnection<S>::WriteResponse(bool close, bool head, bool http10_keep_alive) {
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
  bool send_body = !no_body && !head && !resp_.body.empty();
  if constexpr (kTls) {
    // One buffer (a copy of the body): with Boost 1.74's ssl_stream, a head
    // and a body sent as two buffers that together pass 16 KiB reached the
    // client as the head alone (the gateway's /openapi.json, a node's
    // /metrics after some traffic).
    if (send_body) head_.append(resp_.body);
    send_body = false;
  }
  const std::array<net::const_buffer, 2> buffers = {
      net::buffer(head_), send_body ? net::buffer(resp_.body) : net::const_buffer()};
  server_->SetTimeout(Tcp());
  net::async_write(stream_, buffers,
                   beast::bind_front_handler(&BasicConnection::OnWrite, Self(), close));
}

template <class S>
void BasicConnection<S>::OnWrite(bool close, error_code ec, size_t) {
  if (ec) return Close();
  if (close) return LingeringClose();
  ReadRequest();
}

template <class S>
void BasicConnection<S>::LingeringClose() {
  busy_ = false;
  idle_since_.store(NowNanos(), std::memory_order_relaxed);
  if constexpr (kTls) {
    // TLS ends with close_notify; what the client still sends is read by
    // the shutdown, for at most kLingerTime.
    if (server_->stopping()) return Close();
    Tcp().expires_after(kLingerTime);
    stream_.async_shutdown([self = Self()](error_code) { self->Close(); });
    return;
  }
  error_code ec;
  Tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec || server_->stopping()) return Close();
  Tcp().expires_after(kLingerTime);
  buffer_.consume(buffer_.size());
  lingered_ = 0;
  Linger();
}

template <class S>
void BasicConnection<S>::Linger() {
  stream_.async_read_some(buffer_.prepare(4096), [self = Self()](error_code ec, size_t n) {
    self->lingered_ += n;
    if (ec || self->lingered_ > kLingerMaxBytes) return self->Close();
    self->Linger();
  });
}

template <class S>
void BasicConnection<S>::OnEvict() {
  if (!Tcp().socket().is_open()) return;  // leaving already; Unregister drops the mark
  if (busy_) return server_->KeepAfterEviction(this);
  Close();
}

template <class S>
void BasicConnection<S>::Close() {
  busy_ = false;
  idle_since_.store(kNotIdle, std::memory_order_relaxed);
  error_code ignored;
  Tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
  Tcp().close();
}

std::shared_ptr<Connection> MakeConnection(HttpServer::Impl* server, Socket socket,
                                           const std::shared_ptr<net::ssl::context>& tls) {
  if (tls == nullptr)
    return std::make_shared<BasicConnection<Stream>>(server, Stream(std::move(socket)));
  return std::make_shared<BasicConnection<SslStream>>(server,
                                                      SslStream(Stream(std::move(socket)), *tls));
}

}  // namespace idgen::http
