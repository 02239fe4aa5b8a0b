// Copyright idgen authors.
//
// Internal to src/http; not part of the library's API (see http_server.h).
//
// Wire-level helpers for HTTP/1.1 messages, shared by RequestParser,
// Connection and HttpServer::Impl: ASCII case-insensitive comparison, number
// and date formatting for the response head, and the checks a handler's
// Response must pass before it is written.
//
// wire.cc also defines ReasonPhrase and WritePlainError, declared in
// http_server.h.
//
// The small helpers are inline because they run per header field or per
// response. None of them allocates except by growing its output string.
//
// Thread-safety: all are safe to call concurrently (HttpDate caches per
// thread).
#ifndef IDGEN_HTTP_WIRE_H_
#define IDGEN_HTTP_WIRE_H_

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/core/string.hpp>

#include "src/http/http_server.h"

namespace idgen::http {

inline char ToLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// ASCII case-insensitive equality (header names, "close", "100-continue").
inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  }
  return true;
}

inline std::string_view View(boost::beast::string_view s) { return {s.data(), s.size()}; }

// Appends the decimal digits of `v` to `out`.
inline void AppendNumber(std::string& out, uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

// The IMF-fixdate of the current second, cached per thread. The view points
// into that cache, which a later call on the same thread may overwrite.
std::string_view HttpDate();

// Why a response from the handler cannot be sent, or "" if it can.
std::string_view InvalidResponse(const Response& r);

// Restores `r`, in place, to a default Response's values (200,
// application/json, no body, no headers).
void ResetResponse(Response& r);

}  // namespace idgen::http

#endif  // IDGEN_HTTP_WIRE_H_
