// Copyright idgen authors.
//
// Internal to src/http; not part of the library's API (see http_server.h).
//
// HttpServer::Impl: the server behind HttpServer. It owns one io_context per
// I/O thread, the accept loop (on the first io_context; accepted connections
// are dealt to the io_contexts round-robin), the set of live connections, and
// the graceful Stop() that http_server.h describes. Connection calls back into
// it for the options, the idle timeout, and to run the handler and the
// ErrorWriter with the server's error policy (an exception or an invalid
// response becomes a 500, the first failure is logged to stderr).
//
// Also defines the Asio types every connection and the server use.
//
// Thread-safety: Listen and Run are called once, in that order, by
// HttpServer::Start. Stop may be called from any thread but an I/O thread.
// The methods "for connections" may be called from any I/O thread; the
// handler calls they make are as concurrent as http_server.h says.
#ifndef IDGEN_HTTP_HTTP_SERVER_IMPL_H_
#define IDGEN_HTTP_HTTP_SERVER_IMPL_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/error.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "idgen/internal/mutex.h"
#include "src/http/http_server.h"

namespace idgen::http {

// Every connection lives on one io_context, run by one thread, so no strands
// are needed and the concrete executor type avoids any_io_executor (which
// allocates when it holds a strand).
using Executor = boost::asio::io_context::executor_type;
using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, Executor>;
using Acceptor = boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, Executor>;
using Timer = boost::asio::basic_waitable_timer<
    std::chrono::steady_clock, boost::asio::wait_traits<std::chrono::steady_clock>, Executor>;
using Stream =
    boost::beast::basic_stream<boost::asio::ip::tcp, Executor, boost::beast::unlimited_rate_policy>;
using WorkGuard = boost::asio::executor_work_guard<Executor>;

class Connection;

class HttpServer::Impl {
 public:
  explicit Impl(Options options);
  ~Impl() { Stop(); }

  [[nodiscard]] absl::Status Listen(const boost::asio::ip::tcp::endpoint& endpoint);
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
  // The deadline for a request header (header_timeout).
  void SetHeaderTimeout(Stream& stream) const { stream.expires_after(header_); }
  void CountRejection(RejectReason r) {
    rejected_[static_cast<size_t>(r)].fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t rejected(RejectReason r) const {
    return rejected_[static_cast<size_t>(r)].load(std::memory_order_relaxed);
  }
  void Register(Connection* c) ABSL_LOCKS_EXCLUDED(mu_);
  void Unregister(Connection* c) ABSL_LOCKS_EXCLUDED(mu_);
  // `c` was asked to leave by EvictIdle but had a request by then: it stays.
  void KeepAfterEviction(Connection* c) ABSL_LOCKS_EXCLUDED(mu_);
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
  void OnAccept(boost::beast::error_code ec, Socket socket);
  // Asks up to `n` connections, the longest idle first, to close (each
  // closes on its own thread if still idle). Returns how many were asked.
  size_t EvictIdle(size_t n) ABSL_LOCKS_EXCLUDED(mu_);
  // Open connections not already asked to close.
  size_t Staying() ABSL_LOCKS_EXCLUDED(mu_);
  bool RunningInIoThread() const;
  void LogHandlerFailureOnce(std::string_view what);

  const Options options_;
  std::optional<std::chrono::steady_clock::duration> idle_;  // nullopt: no timeout
  std::chrono::steady_clock::duration header_;
  std::array<std::atomic<uint64_t>, kRejectReasons> rejected_{};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> logged_handler_failure_{false};
  std::atomic<bool> logged_accept_failure_{false};

  // Connections unregister from their destructors, which may run while an
  // io_context is destroyed: mu_ and conns_ are declared before iocs_.
  Mutex mu_;
  std::unordered_set<Connection*> conns_ ABSL_GUARDED_BY(mu_);
  std::unordered_set<Connection*> evicting_ ABSL_GUARDED_BY(mu_);  // asked to close
  std::atomic<bool> logged_eviction_{false};

  Mutex stop_mu_;
  bool stopped_ ABSL_GUARDED_BY(stop_mu_) = false;

  // One io_context per thread; connections are spread over them round-robin.
  // The acceptor lives on the first one.
  std::vector<std::unique_ptr<boost::asio::io_context>> iocs_;
  size_t next_ioc_ = 0;  // used by the accept loop only
  // Keep idle io_contexts running until the acceptor is closed.
  std::vector<WorkGuard> work_;
  Acceptor acceptor_;
  Timer accept_retry_;
  std::vector<std::thread> threads_;
  std::vector<std::future<void>> threads_done_;  // ready when run() has returned
  int port_ = 0;
};

}  // namespace idgen::http

#endif  // IDGEN_HTTP_HTTP_SERVER_IMPL_H_
