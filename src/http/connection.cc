// Copyright idgen authors.
#include "src/http/connection.h"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include "src/http/wire.h"

namespace idgen::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

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

Connection::Connection(HttpServer::Impl* server, Socket socket)
    : server_(server), stream_(std::move(socket)) {
  server_->Register(this);
}

Connection::~Connection() { server_->Unregister(this); }

void Connection::Start() {
  error_code ignored;
  stream_.socket().set_option(tcp::no_delay(true), ignored);
  ReadRequest();
}

void Connection::ReadRequest() {
  busy_ = false;
  idle_since_.store(NowNanos(), std::memory_order_relaxed);
  if (server_->stopping()) return Close();
  const HttpServer::Options& opts = server_->options();
  req_.body.clear();
  parser_.emplace(&req_);
  parser_->body_limit(static_cast<std::uint64_t>(opts.max_body_bytes));
  parser_->header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));
  server_->SetTimeout(stream_);
  empty_lines_ = 0;
  ReadHeader();
}

void Connection::ReadHeader() {
  while (empty_lines_ < kMaxEmptyLines) {
    const auto* p = static_cast<const char*>(buffer_.data().data());
    const size_t n = buffer_.size();
    if (n == 0 || (n == 1 && p[0] == '\r')) return ReadMore();
    if (n < 2 || p[0] != '\r' || p[1] != '\n') break;
    buffer_.consume(2);
    ++empty_lines_;
  }
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           beast::bind_front_handler(&Connection::OnHeader, shared_from_this()));
}

void Connection::ReadMore() {
  stream_.async_read_some(buffer_.prepare(kReadChunk),
                          [self = shared_from_this()](error_code ec, size_t n) {
                            if (ec) return self->OnReadError(ec);
                            self->buffer_.commit(n);
                            self->ReadHeader();
                          });
}

void Connection::OnHeader(error_code ec, size_t) {
  if (ec) return OnReadError(ec);
  busy_ = true;
  idle_since_.store(kNotIdle, std::memory_order_relaxed);
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

void Connection::ReadBody() {
  bhttp::async_read(stream_, buffer_, *parser_,
                    beast::bind_front_handler(&Connection::OnBody, shared_from_this()));
}

void Connection::OnBody(error_code ec, size_t) {
  if (ec) return OnReadError(ec);
  Dispatch();
}

void Connection::OnReadError(error_code ec) {
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
  // A clean close between requests, a close in the middle of one, a
  // timeout, a cancellation by Close(), or a socket error: nobody to answer.
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
      ec.category() != bhttp::make_error_code(bhttp::error::body_limit).category()) {
    return Close();
  }
  FailRequest(400, "malformed request: " + ec.message());
}

void Connection::FailRequest(int status, std::string_view detail) {
  busy_ = true;
  idle_since_.store(kNotIdle, std::memory_order_relaxed);
  ResetResponse(resp_);
  server_->WriteError(status, detail, resp_);
  WriteResponse(/*close=*/true, /*head=*/false, /*http10_keep_alive=*/false);
}

void Connection::Dispatch() {
  if (const std::string_view bad = ParseTarget(req_); !bad.empty()) {
    return FailRequest(400, bad);
  }
  ResetResponse(resp_);
  if (server_->options().async_handler) return DispatchAsync();
  server_->Answer(req_, resp_);
  Respond();
}

void Connection::DispatchAsync() {
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

void Connection::AfterAsyncAnswer() {
  server_->CheckResponse(resp_);
  Respond();
}

void Connection::Respond() {
  const bool keep_alive = parser_->keep_alive();
  const bool http10 = parser_->version() < 11;
  bool close = !keep_alive || server_->stopping();
  for (const auto& [name, value] : resp_.headers) {
    if (EqualsIgnoreCase(name, "connection") && EqualsIgnoreCase(value, "close")) close = true;
  }
  WriteResponse(close, req_.method == "HEAD", http10 && !close);
}

void Connection::WriteResponse(bool close, bool head, bool http10_keep_alive) {
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

void Connection::OnWrite(bool close, error_code ec, size_t) {
  if (ec) return Close();
  if (close) return LingeringClose();
  ReadRequest();
}

void Connection::LingeringClose() {
  busy_ = false;
  idle_since_.store(NowNanos(), std::memory_order_relaxed);
  error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec || server_->stopping()) return Close();
  stream_.expires_after(kLingerTime);
  buffer_.consume(buffer_.size());
  lingered_ = 0;
  Linger();
}

void Connection::Linger() {
  stream_.async_read_some(buffer_.prepare(4096),
                          [self = shared_from_this()](error_code ec, size_t n) {
                            self->lingered_ += n;
                            if (ec || self->lingered_ > kLingerMaxBytes) return self->Close();
                            self->Linger();
                          });
}

void Connection::OnEvict() {
  if (!stream_.socket().is_open()) return;  // leaving already; Unregister drops the mark
  if (busy_) return server_->KeepAfterEviction(this);
  Close();
}

void Connection::Close() {
  busy_ = false;
  idle_since_.store(kNotIdle, std::memory_order_relaxed);
  error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
}

}  // namespace idgen::http
