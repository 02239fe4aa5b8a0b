// Copyright idgen authors.
//
// Internal to src/http; not part of the library's API (see http_server.h).
//
// Connection: one accepted client connection of an HttpServer, as a chain of
// asynchronous operations on its io_context: read a request (RequestParser),
// run the handler through HttpServer::Impl, write the response, repeat. It
// implements the per-connection protocol behaviour that http_server.h lists
// (keep-alive, 100-continue, 400/413/431/501 answers, HEAD/204/304 bodies, the
// server-owned response headers, timeouts) and reuses its Request, Response
// and buffers across requests.
//
// Lifetime: owned by shared_ptrs held by its pending operations (create it
// with std::make_shared); it registers with the server in its constructor and
// unregisters in its destructor, so the server must outlive it.
//
// Thread-safety: every member is touched only from the thread that runs the
// connection's io_context; Start and OnServerStop must run there (dispatch
// or post them to executor()). An asynchronous handler's `done` may be called
// from any thread.
#ifndef IDGEN_HTTP_CONNECTION_H_
#define IDGEN_HTTP_CONNECTION_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "src/http/http_server.h"
#include "src/http/http_server_impl.h"
#include "src/http/request_parser.h"

namespace idgen::http {

// One client connection: reads a request, runs the handler, writes the
// response, repeats. Every member is touched only from the thread that runs
// the connection's io_context.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(HttpServer::Impl* server, Socket socket);
  ~Connection();

  Executor executor() { return stream_.get_executor(); }

  void Start();

  // The server is stopping: close now unless a request is in flight (then
  // ReadRequest closes after its response).
  void OnServerStop() {
    if (!busy_) Close();
  }

  // Since when the connection has been idle: no request in progress, only
  // waiting for (or receiving) a request header, or lingering after a final
  // response. Steady-clock nanoseconds; kNotIdle while a request is handled
  // or answered, before Start and after Close. May be read from any thread.
  static constexpr int64_t kNotIdle = std::numeric_limits<int64_t>::max();
  int64_t idle_since() const { return idle_since_.load(std::memory_order_relaxed); }

  // The server needs this connection's slot (connection cap, out of file
  // descriptors): close now if still idle, else tell the server it stays.
  void OnEvict();

 private:
  using error_code = boost::beast::error_code;

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
  Stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  Request req_;
  Response resp_;
  std::string head_;
  size_t lingered_ = 0;
  int empty_lines_ = 0;  // skipped before the current request line
  std::atomic<int64_t> idle_since_{kNotIdle};
  bool in_handler_ = false;        // inside the async handler call
  bool completed_inline_ = false;  // its `done` ran during that call
  bool busy_ = false;              // a request is being read past its header, handled or answered
};

}  // namespace idgen::http

#endif  // IDGEN_HTTP_CONNECTION_H_
