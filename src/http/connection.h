// Copyright idgen authors.
//
// Internal to src/http; not part of the library's API (see http_server.h).
//
// Connection: one accepted client connection of an HttpServer, as a chain of
// asynchronous operations on its io_context: a TLS handshake when the server
// serves TLS, then read a request (RequestParser),
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

#include <boost/asio/ssl/context.hpp>

#include "src/http/http_server.h"
#include "src/http/http_server_impl.h"

namespace idgen::http {

// One client connection: reads a request, runs the handler, writes the
// response, repeats; over plain TCP or TLS (the implementations live in
// connection.cc). The server keeps the base for its connection set, the
// connection cap and Stop().
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  virtual ~Connection() = default;

  virtual Executor executor() = 0;

  // Runs the TLS handshake when there is one, then serves requests.
  virtual void Start() = 0;

  // The server is stopping: close now unless a request is in flight (then
  // the connection closes after its response).
  virtual void OnServerStop() = 0;

  // Since when the connection has been idle: no request in progress, only
  // waiting for (or receiving) a request header, or lingering after a final
  // response. Steady-clock nanoseconds; kNotIdle while a request is handled
  // or answered, before Start and after Close. May be read from any thread.
  static constexpr int64_t kNotIdle = std::numeric_limits<int64_t>::max();
  int64_t idle_since() const { return idle_since_.load(std::memory_order_relaxed); }

  // The server needs this connection's slot (connection cap, out of file
  // descriptors): close now if still idle, else tell the server it stays.
  virtual void OnEvict() = 0;

 protected:
  Connection() = default;
  std::atomic<int64_t> idle_since_{kNotIdle};
};

// A connection on `socket`, registered with `server` until destroyed; TLS
// with `tls` when it is not null. Call Start() on its executor.
std::shared_ptr<Connection> MakeConnection(HttpServer::Impl* server, Socket socket,
                                           const std::shared_ptr<boost::asio::ssl::context>& tls);

}  // namespace idgen::http

#endif  // IDGEN_HTTP_CONNECTION_H_
