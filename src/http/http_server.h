// Copyright idgen authors.
//
// HttpServer: a small HTTP/1.1 server on Boost.Beast for idgen's REST
// gateway, /metrics, /health and the AppHost dashboard.
//
// Each of the `threads` threads runs its own io_context; accepted
// connections are dealt to them round-robin and stay there, so one
// connection's work never needs a lock. Every connection is a chain of
// asynchronous reads and writes (no thread per connection), so thousands of
// idle keep-alive connections cost only memory. Per connection the server
// reuses its Request, Response and buffers across requests, so a keep-alive
// request with the same shape as the previous one parses without allocating.
//
// Protocol behaviour:
//   * Keep-alive is the HTTP/1.1 default; `Connection: close` and HTTP/1.0
//     without keep-alive end the connection after the response. Pipelined
//     requests are answered in order.
//   * `Expect: 100-continue` gets an interim 100 before the body is read.
//   * A body larger than max_body_bytes gets 413, a header block larger than
//     max_header_bytes gets 431, an unparsable request or a bad
//     percent-escape in the query gets 400; each closes the connection.
//   * A handler that throws gets 500 (the first one is logged to stderr);
//     the server keeps serving. So does a handler that produces an invalid
//     response (status outside 200..999, CR/LF in a header).
//   * HEAD responses carry the Content-Length of the handler's body but no
//     body. 204 and 304 responses carry neither.
//   * Every response carries Date and Content-Length, and Content-Type
//     from Response::content_type unless that is empty. The server owns
//     those and Transfer-Encoding and Connection: a handler's values for them
//     in Response::headers are ignored, except that `Connection: close` there
//     closes the connection after the response.
//   * Deadlines: a request line and header must arrive within
//     header_timeout of their first byte (a connection's first request:
//     of the accept, TLS handshake included); a client that sends them
//     slower (slowloris) is closed. Between keep-alive requests a connection
//     may wait idle_timeout for the next one; a body, and the client's read
//     of a response, must each progress within idle_timeout too.
//   * Up to 4 empty lines (CRLF) before a request line are ignored.
//   * Framing is strict, so that a body can never be read as a request:
//     a Transfer-Encoding other than `chunked` gets 501, chunked that is not
//     the final coding 400, Transfer-Encoding with Content-Length 400; an
//     HTTP/1.1 request without Host, or any request with two, gets 400.
//     Each closes the connection.
//   * Connection cap: with max_connections set, a connection accepted while
//     that many are open makes the server close the connection that has been
//     idle the longest (idle: no request in progress: waiting for or reading
//     a request header, or lingering after a final response). If none is
//     idle, the new connection is closed at once. Running out of file
//     descriptors in accept (EMFILE, ENFILE) closes the longest-idle ones too,
//     with or without a cap, and accepting goes on.
//   * Every refusal is counted by reason (rejected(); see RejectReason).
//
// Thread-safety: Start, port and Stop may be called from any thread; Stop
// must not be called from inside a handler (it joins the threads that run
// handlers). The handler is called concurrently from up to `threads` threads,
// never concurrently for one connection. Handlers run on the I/O threads:
// one that blocks stalls every connection served by its thread (about
// 1/threads of them). An AsyncHandler instead returns at once and calls its
// `done` when the answer is ready; only its own connection waits.
//
// Lifetime: the Request passed to a handler, and every view into it, is valid
// only during the call. Stop() (also run by the destructor) stops accepting,
// closes idle connections, lets in-flight requests finish (up to
// stop_timeout), then joins the threads. Anything the handler uses must
// outlive the server.
//
// Example:
//   HttpServer::Options opts;
//   opts.listen = "127.0.0.1:8080";
//   opts.handler = [](const Request& req, Response& resp) {
//     resp.body = R"({"path":")" + req.path + R"("})";
//   };
//   absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(opts);
//   if (!server.ok()) return server.status();
//   ... (*server)->port() ...
//   (*server)->Stop();
#ifndef IDGEN_HTTP_HTTP_SERVER_H_
#define IDGEN_HTTP_HTTP_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace idgen::http {

struct Request {
  std::string method;  // as received, e.g. "GET" (methods are case-sensitive)
  std::string target;  // the raw request-target, e.g. "/v1/ids?count=2"
  // The path of the target, still percent-encoded (so that an encoded '/'
  // cannot change which route matches), e.g. "/v1/ids". An absolute-form
  // target ("http://host/x") is reduced to its path; "*" stays "*".
  std::string path;
  // The query parameters in order, percent-decoded, '+' decoded as a space.
  // "a&b=" gives {"a", ""}, {"b", ""}.
  std::vector<std::pair<std::string, std::string>> query;
  // Header fields in order, names as received.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The value of the first header named `name` (ASCII case-insensitive).
  std::optional<std::string_view> Header(std::string_view name) const;
  // The value of the first query parameter named `name` (case-sensitive).
  std::optional<std::string_view> QueryParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra header fields, written in order after Content-Type.
  std::vector<std::pair<std::string, std::string>> headers;
};

using Handler = std::function<void(const Request&, Response&)>;

// Tells the server that an asynchronous handler has filled the Response: the
// server then writes it (on the connection's own thread). May be called from
// any thread; calls after the first are ignored.
using Done = std::function<void()>;

// A handler that may answer later, e.g. from a gRPC completion callback, so
// that an I/O thread never waits for a backend. It must call `done` exactly
// once, after its last write to the Response, and before the HttpServer is
// destroyed; until then the Request and Response stay valid (and the
// connection reads nothing more). A connection whose handler never calls
// `done` hangs until Stop() cuts it off after stop_timeout.
using AsyncHandler = std::function<void(const Request&, Response&, Done done)>;

// Fills `resp` (status, content type, body) for an error the library itself
// answers: 400/413/431/500 from the server, 404/405 from Router. `detail` is
// a short English sentence. Plug in one that writes RFC 9457 problem+json.
using ErrorWriter = std::function<void(int status, std::string_view detail, Response& resp)>;

// Why the server refused a request or a connection (HttpServer::rejected).
enum class RejectReason {
  kHeaderTooLarge,   // 431: request line and header over max_header_bytes
  kBodyTooLarge,     // 413: body over max_body_bytes
  kHeaderTimeout,    // closed: header not complete within header_timeout
  kMalformed,        // 400/501: unparsable request, bad framing or target
  kConnectionLimit,  // closed at accept: max_connections busy connections
  kEvicted,          // an idle connection closed to make room for a new one
  kIdleTimeout,      // closed: no next request, or a stalled body, within idle_timeout
};
inline constexpr int kRejectReasons = 7;
// The metric label of `r`: "header_too_large", "body_too_large",
// "header_timeout", "malformed", "connection_limit", "evicted",
// "idle_timeout".
std::string_view RejectReasonName(RejectReason r);

// The default ErrorWriter: text/plain, "<status> <reason>: <detail>\n".
void WritePlainError(int status, std::string_view detail, Response& resp);

// The standard reason phrase of `status` ("Not Found"), or "" if unknown.
std::string_view ReasonPhrase(int status);

// Percent-decodes `in` into `*out` (replacing its contents); with
// `plus_is_space`, '+' becomes ' ' (query strings). Returns false, leaving
// `*out` unspecified, on a '%' not followed by two hex digits.
[[nodiscard]] bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out);

class HttpServer {
 public:
  struct Options {
    // HOST:PORT to listen on: an IPv4 address, a bracketed IPv6 address
    // ("[::1]:8080") or "localhost"; port 0 picks a free port (see port()).
    std::string listen = "127.0.0.1:0";
    int threads = 1;  // I/O threads, >= 1
    size_t max_body_bytes = 64 * 1024;
    size_t max_header_bytes = 8 * 1024;  // request line and fields
    // See "Deadlines" above: the header's deadline (slowloris), and the
    // keep-alive wait between requests.
    absl::Duration header_timeout = absl::Seconds(10);
    absl::Duration idle_timeout = absl::Seconds(60);
    // Most open connections (see the connection cap above); 0: no cap.
    size_t max_connections = 0;
    // How long Stop() waits for in-flight requests before cutting them off.
    absl::Duration stop_timeout = absl::Seconds(10);
    Handler handler;             // exactly one of handler and async_handler
    AsyncHandler async_handler;  // is required
    ErrorWriter error_writer;    // empty: WritePlainError
    // TLS: called for each accepted connection, returns the context to
    // serve it with (so a context rebuilt from renewed certificate files
    // applies to new connections); empty, or returning null: plain TCP.
    // See tls_context.h.
    std::function<std::shared_ptr<boost::asio::ssl::context>()> tls;
  };

  // Binds, listens and starts serving. Errors: INVALID_ARGUMENT for bad
  // options (the message names the option, e.g. `listen address "foo":
  // expected HOST:PORT`), UNAVAILABLE if the address cannot be bound.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<HttpServer>> Start(Options options);

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();  // calls Stop()

  // The bound TCP port (the real one when Options::listen asked for 0).
  int port() const;

  // Requests and connections refused for `reason` since Start.
  uint64_t rejected(RejectReason reason) const;

  // Graceful stop, described above. Idempotent; concurrent callers all
  // return once the server has stopped.
  void Stop();

  class Impl;  // implementation detail, defined in http_server_impl.h

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace idgen::http

#endif  // IDGEN_HTTP_HTTP_SERVER_H_
