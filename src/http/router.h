// Copyright idgen authors.
//
// Router: picks the handler for a request by method and path, for
// HttpServer (Router::AsHandler) or for any code that has a Request.
//
// A pattern is an absolute path whose segments are literals or `{name}`
// parameters; a parameter matches one whole, non-empty segment:
//   /v1/ids/{id}/decode   matches /v1/ids/123/decode   with id = "123".
// Literal segments are compared with the raw (still percent-encoded) path;
// parameter values are percent-decoded ('+' stays '+'). There are no
// wildcards and no trailing-slash folding: "/a" and "/a/" are different.
//
// Choosing a route: among the patterns that match the path, the one with a
// literal at the first segment where they differ wins (/v1/ids/next beats
// /v1/ids/{id}); the most specific pattern that has a route for the method
// is used. HEAD falls back to GET (HttpServer drops the body), except on
// patterns given to DisableHead.
//
// Errors, written through the ErrorWriter given at construction:
//   404 - no pattern matches the path;
//   405 - patterns match but none has the method; the response also gets
//         an `Allow` header listing the methods that would work;
//   400 - a parameter value has a bad percent-escape.
//
// Asynchronous routes (AddAsync) get a `done` callback and may answer later,
// from any thread; they are served by DispatchAsync / AsAsyncHandler (for
// HttpServer::Options::async_handler), which also serve plain routes. Their
// PathParams are valid only during the call (copy what is needed later).
//
// Thread-safety: Add/AddAsync are not thread-safe and must be done before the first
// Dispatch. Dispatch, routes and the AsHandler callback may be called
// concurrently. Handlers are called concurrently (see HttpServer).
//
// Example:
//   Router router;
//   absl::Status s = router.Add("GET", "/v1/ids/{id}/decode",
//       [](const Request& req, const PathParams& params, Response& resp) {
//         resp.body = Decode(*params.Get("id"));
//       });
//   options.handler = router.AsHandler();  // router must outlive the server
#ifndef IDGEN_HTTP_ROUTER_H_
#define IDGEN_HTTP_ROUTER_H_

#include <array>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "src/http/http_server.h"

namespace idgen::http {

// The `{name}` values of the matched pattern, percent-decoded. Valid only
// during the handler call.
class PathParams {
 public:
  static constexpr size_t kMaxParams = 8;

  PathParams() = default;
  PathParams(const PathParams&) = delete;
  PathParams& operator=(const PathParams&) = delete;

  // The value of parameter `name`, or nullopt if the pattern has none.
  std::optional<std::string_view> Get(std::string_view name) const;

  size_t size() const { return size_; }
  std::string_view name(size_t i) const { return names_[i]; }
  std::string_view value(size_t i) const { return values_[i]; }

 private:
  friend class Router;
  void Clear() { size_ = 0; }
  void Add(std::string_view name, std::string_view raw_value);
  // Percent-decodes the values; false on a bad escape.
  bool Decode();

  size_t size_ = 0;
  std::array<std::string_view, kMaxParams> names_;
  std::array<std::string_view, kMaxParams> values_;
  std::array<std::string, kMaxParams> decoded_;  // storage for decoded values
};

class Router {
 public:
  using RouteHandler = std::function<void(const Request&, const PathParams&, Response&)>;
  using AsyncRouteHandler =
      std::function<void(const Request&, const PathParams&, Response&, Done done)>;

  // One registered route, as given to Add.
  struct Route {
    std::string method;
    std::string pattern;
  };

  // `error_writer` formats the 400/404/405 answers; empty: WritePlainError.
  explicit Router(ErrorWriter error_writer = nullptr);

  // Registers `handler` for `method` (case-sensitive, e.g. "GET") on
  // `pattern`. INVALID_ARGUMENT for a malformed method or pattern (not
  // starting with '/', a brace that is not a whole `{name}` segment, a
  // repeated name, more than kMaxParams parameters, or the same shape as a
  // registered pattern with other parameter names); ALREADY_EXISTS if the
  // method is already registered on that pattern.
  [[nodiscard]] absl::Status Add(std::string_view method, std::string_view pattern,
                                 RouteHandler handler);
  // The same for a handler that answers through `done` (see HttpServer's
  // AsyncHandler), with the same errors.
  [[nodiscard]] absl::Status AddAsync(std::string_view method, std::string_view pattern,
                                      AsyncRouteHandler handler);

  // HEAD on `pattern` (as given to Add) stops falling back to its GET route:
  // it gets 405, and Allow no longer lists HEAD there. For GET routes that
  // are not safe to run just for their headers (they issue IDs). NOT_FOUND if
  // no route has that pattern. Not thread-safe, like Add.
  [[nodiscard]] absl::Status DisableHead(std::string_view pattern);

  // Runs the handler for `req`, or writes 400/404/405 into `resp`. An
  // asynchronous route reached here is answered with 500 (use DispatchAsync).
  void Dispatch(const Request& req, Response& resp) const;

  // Runs the handler for `req` (plain or asynchronous); `done` is called once
  // `resp` is complete: at once for errors and plain routes.
  void DispatchAsync(const Request& req, Response& resp, Done done) const;

  // A Handler for HttpServer::Options that calls Dispatch on this router,
  // which must outlive every use of it.
  Handler AsHandler() const;
  // An AsyncHandler that calls DispatchAsync; the same lifetime rule.
  AsyncHandler AsAsyncHandler() const;

  // The pattern of the route that serves `method` on `path` (what telemetry
  // calls http.route), or "" when none does.
  std::string RouteOf(std::string_view method, std::string_view path) const;

  // Every route, in the order added (for contract tests and documentation).
  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Segment {
    std::string text;  // the literal, or the parameter name
    bool param = false;
  };
  struct Entry {
    RouteHandler sync;  // exactly one of these is set
    AsyncRouteHandler async;
  };
  struct Pattern {
    std::string text;
    std::vector<Segment> segments;
    std::vector<std::pair<std::string, Entry>> methods;
    bool head_from_get = true;  // HEAD is served by the GET route
  };

  [[nodiscard]] absl::Status AddEntry(std::string_view method, std::string_view pattern,
                                      Entry entry);
  static bool Match(const Pattern& pattern, std::string_view path, PathParams* params);
  static const Entry* Find(const Pattern& pattern, std::string_view method);
  // The entry for `req` with `params` filled, or nullptr after writing an
  // error into `resp`.
  const Entry* Resolve(const Request& req, PathParams& params, Response& resp) const;
  void WriteError(int status, std::string_view detail, Response& resp) const;

  ErrorWriter error_writer_;
  std::vector<Pattern> patterns_;  // most specific first
  std::vector<Route> routes_;
};

}  // namespace idgen::http

#endif  // IDGEN_HTTP_ROUTER_H_
