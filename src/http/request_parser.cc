// Copyright idgen authors.
#include "src/http/request_parser.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "src/http/wire.h"

namespace idgen::http {
namespace {

namespace bhttp = boost::beast::http;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The pair at `index` of `v` (index <= v.size()), appended if needed. The
// caller overwrites its strings in place, reusing their capacity, so that a
// connection's steady state does not allocate.
std::pair<std::string, std::string>& Slot(std::vector<std::pair<std::string, std::string>>& v,
                                          size_t index) {
  if (index == v.size()) v.emplace_back();
  return v[index];
}

}  // namespace

void RequestParser::on_request_impl(bhttp::verb, string_view method, string_view target,
                                    int version, error_code&) {
  req_->method.assign(method.data(), method.size());
  req_->target.assign(target.data(), target.size());
  version_ = version;
}

void RequestParser::on_field_impl(bhttp::field name, string_view name_string, string_view value,
                                  error_code&) {
  if (name == bhttp::field::expect && EqualsIgnoreCase(View(value), "100-continue")) {
    expect_continue_ = true;
  } else if (name == bhttp::field::host) {
    ++hosts_;
  } else if (name == bhttp::field::content_length) {
    content_length_ = true;
  } else if (name == bhttp::field::transfer_encoding) {
    OnTransferEncoding(value);
  }
  auto& slot = Slot(req_->headers, fields_);
  slot.first.assign(name_string.data(), name_string.size());
  slot.second.assign(value.data(), value.size());
  ++fields_;
}

void RequestParser::OnTransferEncoding(string_view value) {
  transfer_encoding_ = true;
  std::string_view rest = View(value);
  do {
    // A transfer-coding is a token with optional ";param" parts; a list
    // element may be empty (RFC 9110 5.6.1), but a field with no coding at
    // all is not a framing this server understands.
    const size_t comma = rest.find(',');
    std::string_view coding = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    coding = coding.substr(0, coding.find(';'));
    while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t')) {
      coding.remove_prefix(1);
    }
    while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) {
      coding.remove_suffix(1);
    }
    if (coding.empty()) {
      if (comma != std::string_view::npos) continue;
      empty_coding_ = true;
      break;
    }
    if (chunked_final_) chunked_not_final_ = true;
    chunked_final_ = EqualsIgnoreCase(coding, "chunked");
    if (!chunked_final_) unknown_coding_ = true;
  } while (!rest.empty());
}

void RequestParser::Reject(int status, std::string_view detail, error_code& ec) {
  rejection_ = {status, detail};
  // Any parse error stops Beast; the connection answers from rejection().
  ec = bhttp::error::bad_value;
}

void RequestParser::on_header_impl(error_code& ec) {
  req_->headers.resize(fields_);
  if (transfer_encoding_) {
    if (content_length_) {
      return Reject(400, "a request must not carry both Transfer-Encoding and Content-Length", ec);
    }
    if (empty_coding_ || (!chunked_final_ && !unknown_coding_)) {
      return Reject(400, "Transfer-Encoding names no transfer coding", ec);
    }
    if (chunked_not_final_) {
      return Reject(400, "Transfer-Encoding: chunked must be the final transfer coding", ec);
    }
    if (unknown_coding_) {
      return Reject(501, "Transfer-Encoding: only chunked is implemented", ec);
    }
  }
  if (hosts_ > 1) return Reject(400, "a request must carry at most one Host header", ec);
  if (hosts_ == 0 && version_ >= 11) {
    return Reject(400, "an HTTP/1.1 request must carry a Host header", ec);
  }
}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) {
  // The parser has already checked `length` against the body limit.
  if (length) req_->body.reserve(static_cast<size_t>(*length));
}

size_t RequestParser::on_body_impl(string_view body, error_code&) {
  req_->body.append(body.data(), body.size());
  return body.size();
}

size_t RequestParser::on_chunk_body_impl(std::uint64_t, string_view body, error_code&) {
  req_->body.append(body.data(), body.size());
  return body.size();
}

std::string_view ParseTarget(Request& req) {
  std::string_view t = req.target;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (t.size() >= scheme.size() && EqualsIgnoreCase(t.substr(0, scheme.size()), scheme)) {
      const size_t start = t.find_first_of("/?", scheme.size());
      t = start == std::string_view::npos ? std::string_view() : t.substr(start);
      break;
    }
  }
  const size_t q = t.find('?');
  const std::string_view path = t.substr(0, q);
  size_t count = 0;
  if (t == "*") {
    req.path.assign(t);
  } else if (path.empty()) {
    req.path.assign("/");
  } else if (path[0] != '/') {
    return "request target must start with '/'";
  } else {
    req.path.assign(path);
  }
  if (q != std::string_view::npos) {
    std::string_view rest = t.substr(q + 1);
    while (!rest.empty()) {
      const size_t amp = rest.find('&');
      const std::string_view item = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      if (item.empty()) continue;
      const size_t eq = item.find('=');
      auto& [name, value] = Slot(req.query, count);
      if (!PercentDecode(item.substr(0, eq), true, &name) ||
          !PercentDecode(eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1),
                         true, &value)) {
        return "bad percent-encoding in query";
      }
      ++count;
    }
  }
  req.query.resize(count);
  return "";
}

// ---------------------------------------------------------------------------
// Declared in http_server.h.

std::optional<std::string_view> Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

std::optional<std::string_view> Request::QueryParam(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  size_t i = 0;
  while (i < in.size()) {
    const size_t special = in.find_first_of(plus_is_space ? "%+" : "%", i);
    const size_t stop = special == std::string_view::npos ? in.size() : special;
    out->append(in.data() + i, stop - i);
    if (special == std::string_view::npos) break;
    i = special;
    if (in[i] == '+') {
      out->push_back(' ');
      ++i;
      continue;
    }
    if (in.size() - i < 3) return false;
    const int hi = HexValue(in[i + 1]);
    const int lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 3;
  }
  return true;
}

}  // namespace idgen::http
