// Copyright idgen authors.
#include "src/http/http_server.h"

#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <future>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/error.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "idgen/internal/mutex.h"
#include "src/base/status_macros.h"
#include "src/config/endpoint.h"
#include "src/http/connection.h"
#include "src/http/http_server_impl.h"
#include "src/http/wire.h"

namespace idgen::http {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::beast::error_code;

std::vector<std::unique_ptr<net::io_context>> MakeContexts(int n) {
  std::vector<std::unique_ptr<net::io_context>> iocs;
  // Hint 1: each io_context is run by one thread (others only post to it).
  for (int i = 0; i < n; ++i) iocs.push_back(std::make_unique<net::io_context>(1));
  return iocs;
}

[[nodiscard]] absl::StatusOr<tcp::endpoint> ParseListenAddress(std::string_view listen) {
  auto bad = [listen](std::string_view why) {
    std::string msg = "listen address \"";
    msg.append(listen).append("\": ").append(why);
    return absl::InvalidArgumentError(msg);
  };
  absl::StatusOr<config::Endpoint> e = config::ParseEndpoint(listen, {.allow_port_zero = true});
  if (!e.ok()) {
    const std::string why(e.status().message());
    // The parser's reason says what is wrong; "missing port" and "empty
    // host" are better said as the form expected.
    if (why == "missing port" || why == "empty host") return bad("expected HOST:PORT");
    return bad(why);
  }
  if (e->scheme != config::Scheme::kNone) return bad("expected HOST:PORT");
  net::ip::address address;
  error_code ec;
  if (e->IsIpv6()) {
    address = net::ip::make_address_v6(e->host, ec);
  } else if (e->host == "localhost") {
    address = net::ip::address_v4::loopback();
  } else {
    address = net::ip::make_address_v4(e->host, ec);
  }
  if (ec) {
    return bad("host \"" + e->host +
               "\" is not an IPv4 address, a bracketed IPv6 address or localhost");
  }
  return tcp::endpoint(address, static_cast<unsigned short>(e->port));
}

}  // namespace

std::string_view RejectReasonName(RejectReason r) {
  switch (r) {
    case RejectReason::kHeaderTooLarge:
      return "header_too_large";
    case RejectReason::kBodyTooLarge:
      return "body_too_large";
    case RejectReason::kHeaderTimeout:
      return "header_timeout";
    case RejectReason::kMalformed:
      return "malformed";
    case RejectReason::kConnectionLimit:
      return "connection_limit";
    case RejectReason::kEvicted:
      return "evicted";
    case RejectReason::kIdleTimeout:
      return "idle_timeout";
  }
  return "unknown";
}

HttpServer::Impl::Impl(Options options)
    : options_(std::move(options)),
      header_(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          absl::ToChronoNanoseconds(options_.header_timeout))),
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
  // Not inherited by programs the process starts (asio opens without
  // SOCK_CLOEXEC): a child holding it would keep the port bound.
  if (fcntl(acceptor_.native_handle(), F_SETFD, FD_CLOEXEC) != 0) {
    return fail("fcntl", error_code(errno, boost::system::system_category()));
  }
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
    // Out of file descriptors or memory: make room by closing some of the
    // longest-idle connections (1/64 of them, at least one), then retry
    // shortly; retrying at once would spin before they are closed.
    const size_t evicted = EvictIdle(1 + Staying() / 64);
    if (!logged_accept_failure_.exchange(true)) {
      std::fprintf(stderr,
                   "idgen http: accept on %s failed: %s (closing idle connections and "
                   "retrying)\n",
                   options_.listen.c_str(), ec.message().c_str());
    }
    accept_retry_.expires_after(std::chrono::milliseconds(evicted > 0 ? 5 : 100));
    accept_retry_.async_wait([this](error_code wait_ec) {
      if (!wait_ec && acceptor_.is_open()) Accept();
    });
    return;
  }
  if (!ec && !stopping()) {
    const size_t cap = options_.max_connections;
    if (cap > 0) {
      const size_t staying = Staying();
      if (staying >= cap && EvictIdle(staying - cap + 1) == 0) {
        // Every connection is busy with a request: refuse this one.
        CountRejection(RejectReason::kConnectionLimit);
        error_code ignored;
        socket.close(ignored);
        return Accept();
      }
    }
    std::shared_ptr<Connection> conn =
        MakeConnection(this, std::move(socket), options_.tls ? options_.tls() : nullptr);
    net::dispatch(conn->executor(), [conn] { conn->Start(); });
  }
  Accept();
}

size_t HttpServer::Impl::Staying() {
  MutexLock lock(&mu_);
  return conns_.size() - evicting_.size();
}

size_t HttpServer::Impl::EvictIdle(size_t n) {
  std::vector<std::shared_ptr<Connection>> chosen;
  {
    MutexLock lock(&mu_);
    std::vector<std::pair<int64_t, Connection*>> idle;
    for (Connection* c : conns_) {
      const int64_t since = c->idle_since();
      if (since != Connection::kNotIdle && !evicting_.contains(c)) idle.emplace_back(since, c);
    }
    n = std::min(n, idle.size());
    std::partial_sort(idle.begin(), idle.begin() + static_cast<std::ptrdiff_t>(n), idle.end());
    for (size_t i = 0; i < n; ++i) {
      Connection* c = idle[i].second;
      // Null while `c` is being destroyed; it is leaving anyway.
      if (std::shared_ptr<Connection> conn = c->weak_from_this().lock()) {
        evicting_.insert(c);
        chosen.push_back(std::move(conn));
      }
    }
  }
  for (size_t i = 0; i < chosen.size(); ++i) CountRejection(RejectReason::kEvicted);
  if (!chosen.empty() && !logged_eviction_.exchange(true)) {
    std::fprintf(stderr,
                 "idgen http (%s): connection limit reached, closing the longest-idle "
                 "connections (logged once)\n",
                 options_.listen.c_str());
  }
  // Told outside mu_: dropping the last reference runs the destructor,
  // which takes mu_.
  for (std::shared_ptr<Connection>& conn : chosen) {
    net::post(conn->executor(), [conn] { conn->OnEvict(); });
  }
  return chosen.size();
}

void HttpServer::Impl::KeepAfterEviction(Connection* c) {
  MutexLock lock(&mu_);
  evicting_.erase(c);
}

void HttpServer::Impl::Register(Connection* c) {
  MutexLock lock(&mu_);
  conns_.insert(c);
}

void HttpServer::Impl::Unregister(Connection* c) {
  MutexLock lock(&mu_);
  conns_.erase(c);
  evicting_.erase(c);
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
  if (options.header_timeout <= absl::ZeroDuration() || options.header_timeout > absl::Hours(24)) {
    return absl::InvalidArgumentError("HttpServer: header_timeout must be in (0, 24h]");
  }
  if (options.stop_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("HttpServer: stop_timeout must not be negative");
  }
  IDGEN_ASSIGN_OR_RETURN(tcp::endpoint endpoint, ParseListenAddress(options.listen));
  auto impl = std::make_unique<Impl>(std::move(options));
  IDGEN_RETURN_IF_ERROR(impl->Listen(endpoint));
  impl->Run();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->port(); }

uint64_t HttpServer::rejected(RejectReason reason) const { return impl_->rejected(reason); }

void HttpServer::Stop() { impl_->Stop(); }

}  // namespace idgen::http
