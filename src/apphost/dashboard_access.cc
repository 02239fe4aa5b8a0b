// Copyright idgen authors.
#include "src/apphost/dashboard_access.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cctype>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace idgen::apphost {
namespace {

constexpr size_t kTokenBytes = 16;
constexpr size_t kSessionBytes = 32;

absl::StatusOr<std::string> RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    return absl::InternalError("dashboard: the random generator failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes);
  for (const char c : raw) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::array<unsigned char, 32> Digest(std::string_view s) {
  std::array<unsigned char, 32> d{};
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d.data());
  return d;
}

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or "".
std::string_view CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
  }
  return {};
}

}  // namespace

absl::StatusOr<std::unique_ptr<DashboardAccess>> DashboardAccess::Create(
    DashboardAccessOptions options) {
  std::string token = options.token;
  if (token.empty()) {
    absl::StatusOr<std::string> random = RandomHex(kTokenBytes);
    if (!random.ok()) return random.status();
    token = *std::move(random);
  } else {
    if (token.size() < 16 || token.size() > 256) {
      return absl::InvalidArgumentError(
          "--dashboard-token: must be 16..256 characters long (leave it out for a random one)");
    }
    for (const char c : token) {
      if (c <= ' ' || c > '~') {
        return absl::InvalidArgumentError(
            "--dashboard-token: only printable ASCII characters without spaces are allowed");
      }
    }
  }
  for (std::string& h : options.hosts) {
    h = absl::AsciiStrToLower(h);
    if (h.empty() || h.find_first_of(":/ @") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--dashboard-host: \"", h, "\" is not a host name (give the name without a port)"));
    }
  }
  return std::unique_ptr<DashboardAccess>(new DashboardAccess(std::move(options), token));
}

DashboardAccess::DashboardAccess(DashboardAccessOptions options, std::string token)
    : open_(options.open),
      hosts_([&options] {
        std::vector<std::string> h = {"localhost", "127.0.0.1", "[::1]"};
        h.insert(h.end(), options.hosts.begin(), options.hosts.end());
        return h;
      }()),
      token_(std::move(token)),
      token_digest_(Digest(token_)) {}

std::string DashboardAccess::CookieName() const {
  return absl::StrCat("idgen_dashboard_", port_.load(std::memory_order_acquire));
}

bool DashboardAccess::HostAllowed(std::string_view host_port) const {
  const int port = port_.load(std::memory_order_acquire);
  if (port <= 0) return false;
  std::string_view host = host_port;
  int given = 80;
  const size_t colon = host_port.rfind(':');
  const size_t bracket = host_port.rfind(']');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    host = host_port.substr(0, colon);
    if (!absl::SimpleAtoi(std::string(host_port.substr(colon + 1)), &given)) return false;
  }
  if (given != port) return false;
  const std::string lower = absl::AsciiStrToLower(std::string(host));
  for (const std::string& h : hosts_) {
    if (lower == h) return true;
  }
  return false;
}

std::string DashboardAccess::CheckSite(const http::Request& req, bool check_host) const {
  if (open_) return "";
  const std::string_view host = req.Header("Host").value_or("");
  if (check_host && !HostAllowed(host)) {
    return absl::StrCat("Host \"", std::string(host),
                        "\" is not this dashboard (use localhost, 127.0.0.1 or [::1] with its "
                        "port, or a name given with --dashboard-host)");
  }
  if (const std::optional<std::string_view> origin = req.Header("Origin"); origin.has_value()) {
    std::string_view rest = *origin;
    bool ok = false;
    for (const std::string_view scheme : {"http://", "https://"}) {
      if (rest.substr(0, scheme.size()) == scheme) {
        ok = HostAllowed(rest.substr(scheme.size()));
        break;
      }
    }
    if (!ok) return absl::StrCat("Origin \"", std::string(*origin), "\" is not this dashboard");
  }
  return "";
}

bool DashboardAccess::TokenMatches(std::string_view candidate) const {
  const std::array<unsigned char, 32> d = Digest(candidate);
  return CRYPTO_memcmp(d.data(), token_digest_.data(), d.size()) == 0;
}

bool DashboardAccess::HasSession(const http::Request& req) const {
  if (open_) return true;
  const std::string name = CookieName();
  std::string_view value;
  for (const auto& [field, v] : req.headers) {
    if (absl::AsciiStrToLower(field) != "cookie") continue;
    value = CookieValue(v, name);
    if (!value.empty()) break;
  }
  if (value.size() != 2 * kSessionBytes) return false;
  MutexLock lock(&mu_);
  bool found = false;
  for (const std::string& s : sessions_) {
    found |= CRYPTO_memcmp(s.data(), value.data(), s.size()) == 0;
  }
  return found;
}

absl::StatusOr<std::string> DashboardAccess::NewSession() {
  absl::StatusOr<std::string> value = RandomHex(kSessionBytes);
  if (!value.ok()) return value.status();
  std::string cookie =
      absl::StrCat(CookieName(), "=", *value, "; Path=/; HttpOnly; SameSite=Strict");
  MutexLock lock(&mu_);
  sessions_.push_back(*std::move(value));
  while (sessions_.size() > kMaxSessions) sessions_.pop_front();
  return cookie;
}

}  // namespace idgen::apphost
