// Copyright idgen authors.
//
// Internal to src/http; not part of the library's API (see http_server.h).
//
// RequestParser: a Boost.Beast HTTP/1.1 request parser that fills a Request
// directly, overwriting its strings in place so that a keep-alive request with
// the same shape as the previous one parses without allocating. ParseTarget
// then derives Request::path and Request::query from Request::target.
//
// A RequestParser reads one request: Connection emplaces a fresh one for each
// request over the same Request, sets Beast's body_limit and header_limit on
// it, and reads with boost::beast::http::async_read_header / async_read. The
// parser overwrites method, target and headers and appends to body, which the
// caller clears first.
//
// request_parser.cc also defines Request::Header, Request::QueryParam and
// PercentDecode, declared in http_server.h.
//
// Framing and Host checks (RFC 9112 6.1, 6.3, 3.2), made once the header is
// complete, before any body byte is read. Beast itself already refuses two
// differing Content-Length values, Content-Length together with chunked,
// and a repeated chunked; on top of that the parser refuses:
//   * a Transfer-Encoding whose codings are not exactly `chunked`: 400 when
//     chunked is present but not the final coding, 501 for any other coding
//     (gzip, identity, xchunked: this server decodes none of them);
//   * Transfer-Encoding together with Content-Length: 400;
//   * an HTTP/1.1 request without Host, or any request with two Host
//     fields: 400.
// A refusal stops the parse with an error and rejection() says what to
// answer; the connection then answers and closes, so the body is never read
// as a next request (no request smuggling).
//
// Thread-safety: none; a parser and its Request belong to one connection.
#ifndef IDGEN_HTTP_REQUEST_PARSER_H_
#define IDGEN_HTTP_REQUEST_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/optional/optional.hpp>

#include "src/http/http_server.h"

namespace idgen::http {

// Parses a request straight into a Request, reusing its strings.
class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  // `req` must outlive the parser.
  explicit RequestParser(Request* req) : req_(req) {}

  // The HTTP version of the request line (10 for HTTP/1.0, 11 for HTTP/1.1).
  int version() const { return version_; }
  // Whether the request carries `Expect: 100-continue`.
  bool expect_continue() const { return expect_continue_; }

  // Why the header was refused (see the file comment): an HTTP status and
  // a short sentence. Status 0 when it was not.
  struct Rejection {
    int status = 0;
    std::string_view detail;
  };
  const Rejection& rejection() const { return rejection_; }

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;

  void on_request_impl(boost::beast::http::verb, string_view method, string_view target,
                       int version, error_code&) override;
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                     error_code&) override;
  void on_header_impl(error_code&) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override;
  size_t on_body_impl(string_view body, error_code&) override;
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override;
  void on_finish_impl(error_code&) override {}

  // Notes the codings of one Transfer-Encoding field.
  void OnTransferEncoding(string_view value);
  void Reject(int status, std::string_view detail, error_code& ec);

  Request* req_;
  size_t fields_ = 0;
  int version_ = 11;
  bool expect_continue_ = false;
  int hosts_ = 0;
  bool content_length_ = false;
  bool transfer_encoding_ = false;
  bool chunked_final_ = false;      // the last coding seen so far is chunked
  bool chunked_not_final_ = false;  // chunked was followed by another coding
  bool unknown_coding_ = false;     // a coding other than chunked
  bool empty_coding_ = false;       // a field with no coding in it
  Rejection rejection_;
};

// Fills req.path and req.query from req.target. Returns "" or why the target
// is unacceptable.
std::string_view ParseTarget(Request& req);

}  // namespace idgen::http

#endif  // IDGEN_HTTP_REQUEST_PARSER_H_
