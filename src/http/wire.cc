// Copyright idgen authors.
#include "src/http/wire.h"

#include <cstdio>
#include <ctime>

#include <boost/beast/http/status.hpp>

namespace idgen::http {
namespace {

namespace bhttp = boost::beast::http;

constexpr std::string_view kDefaultContentType = "application/json";

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

bool IsFieldValue(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

}  // namespace

std::string_view HttpDate() {
  struct Cache {
    std::time_t second = -1;
    char text[32];
  };
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  thread_local Cache cache;
  const std::time_t now = std::time(nullptr);
  if (now != cache.second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::snprintf(cache.text, sizeof(cache.text), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                  kDays[tm.tm_wday % 7], tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    cache.second = now;
  }
  return {cache.text, 29};
}

std::string_view InvalidResponse(const Response& r) {
  if (r.status < 200 || r.status > 999) return "status outside 200..999";
  if (!IsFieldValue(r.content_type)) return "invalid content type";
  for (const auto& [name, value] : r.headers) {
    if (!IsToken(name) || !IsFieldValue(value)) return "invalid header field";
  }
  return "";
}

void ResetResponse(Response& r) {
  r.status = 200;
  r.content_type.assign(kDefaultContentType);
  r.body.clear();
  r.headers.clear();
}

// ---------------------------------------------------------------------------
// Declared in http_server.h.

std::string_view ReasonPhrase(int status) {
  if (status < 0 || status > 999) return "";
  const bhttp::status s = bhttp::int_to_status(static_cast<unsigned>(status));
  if (s == bhttp::status::unknown) return "";
  return View(bhttp::obsolete_reason(s));
}

void WritePlainError(int status, std::string_view detail, Response& resp) {
  resp.status = status;
  resp.content_type.assign("text/plain; charset=utf-8");
  resp.body.clear();
  AppendNumber(resp.body, static_cast<uint64_t>(status));
  resp.body.push_back(' ');
  resp.body.append(ReasonPhrase(status)).append(": ").append(detail).append("\n");
}

}  // namespace idgen::http
