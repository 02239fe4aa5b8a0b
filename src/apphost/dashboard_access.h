// Copyright idgen authors.
//
// DashboardAccess: who may use the AppHost dashboard. The dashboard listens
// on loopback, but loopback is no boundary for a browser: any page the user
// opens can send requests to 127.0.0.1, and a name that an attacker
// re-points at 127.0.0.1 (DNS rebinding) makes them same-origin. So:
//
//   * Login token: `idgen up` prints a login URL, /login?t=TOKEN, with a
//     random token (16 bytes from RAND_bytes, hex) or the one given with
//     --dashboard-token. Visiting it (or pasting the token into the login
//     form, a POST) exchanges the token for a session cookie: a fresh random
//     value (32 bytes, hex), never the token itself, set HttpOnly,
//     SameSite=Strict, and named after the port so that two dashboards on
//     one machine do not share it.
//   * Every /api/ call needs that cookie (else 401). The page without it is
//     the login form, with no data.
//   * Every request from a browser, logged in or not, must name this
//     dashboard in Host: localhost, 127.0.0.1 or [::1], or a name given with
//     --dashboard-host, with the dashboard's port; and an Origin header, when
//     present, must be http(s):// one of those. Otherwise 403. (What the
//     services call, the OTLP receiver and /health, /alive, is checked by
//     Origin only: they may name the dashboard by its listen address.)
//   * open: all of the above is off (--dashboard-open; `idgen up` warns).
//
// Tokens and session values are compared in constant time (SHA-256 of the
// token, then CRYPTO_memcmp); neither is ever logged.
//
// Thread-safety: all methods may be called concurrently.
#ifndef IDGEN_APPHOST_DASHBOARD_ACCESS_H_
#define IDGEN_APPHOST_DASHBOARD_ACCESS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "idgen/internal/mutex.h"
#include "src/http/http_server.h"

namespace idgen::apphost {

struct DashboardAccessOptions {
  // The login token; empty: a random one. Otherwise 16..256 printable
  // ASCII characters without spaces.
  std::string token;
  bool open = false;  // no token, cookie, Host or Origin checks
  // Host names (without port) accepted besides localhost, 127.0.0.1, [::1].
  std::vector<std::string> hosts;
};

class DashboardAccess {
 public:
  // The most sessions kept; a login beyond it ends the oldest.
  static constexpr size_t kMaxSessions = 64;

  // INVALID_ARGUMENT naming --dashboard-token or --dashboard-host for a bad
  // token or host name; INTERNAL if the random generator fails.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<DashboardAccess>> Create(
      DashboardAccessOptions options);

  // The dashboard's port, for the Host and Origin checks and the cookie
  // name. Set before serving (requests before it are refused).
  void SetPort(int port) { port_.store(port, std::memory_order_release); }

  bool open() const { return open_; }
  const std::string& token() const { return token_; }
  // "idgen_dashboard_<port>".
  std::string CookieName() const;

  // "" when Host and Origin name this dashboard (or open()); otherwise why
  // not, for a 403. Without `check_host`, only a present Origin is checked
  // (for what services call, which may name the dashboard by any address).
  std::string CheckSite(const http::Request& req, bool check_host = true) const;
  // True when `candidate` is the login token (constant time).
  bool TokenMatches(std::string_view candidate) const;
  // True when the request carries a live session cookie (or open()).
  bool HasSession(const http::Request& req) const ABSL_LOCKS_EXCLUDED(mu_);
  // Starts a session; returns the Set-Cookie header value.
  [[nodiscard]] absl::StatusOr<std::string> NewSession() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  DashboardAccess(DashboardAccessOptions options, std::string token);
  bool HostAllowed(std::string_view host_port) const;

  const bool open_;
  const std::vector<std::string> hosts_;  // lower case, with the defaults
  const std::string token_;
  std::array<unsigned char, 32> token_digest_{};
  std::atomic<int> port_{0};
  mutable Mutex mu_;
  std::deque<std::string> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace idgen::apphost

#endif  // IDGEN_APPHOST_DASHBOARD_ACCESS_H_
