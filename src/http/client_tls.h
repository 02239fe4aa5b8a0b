// Copyright idgen authors.
//
// The TLS side of HttpClient (client.h): the OpenSSL client context one
// https:// request is made with, and the words for a handshake that failed.
//
// The context built from a security::TlsClientConfig:
//   * TLS 1.2 or newer; ALPN offers "http/1.1";
//   * the server's certificate must chain to ca_file, or, when ca_file is
//     empty, to the system's trust store (OpenSSL's default paths);
//   * cert_file + key_file, when given, are presented to servers that ask
//     for a client certificate (mutual TLS);
//   * the files are read each time a context is built (once per request),
//     so a renewed file is used by the next request.
// The host check (SNI and X509 name or IP) is set per connection by
// PrepareTlsConnection.
//
// Thread-safety: pure functions.
#ifndef IDGEN_HTTP_CLIENT_TLS_H_
#define IDGEN_HTTP_CLIENT_TLS_H_

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/security/tls_client_config.h"

namespace idgen::http {

// INVALID_ARGUMENT naming the file when one does not load, or when only
// one of cert_file and key_file is given.
[[nodiscard]] absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeClientTlsContext(
    const security::TlsClientConfig& config);

// Sets SNI (for a name; never for an IP address) and the name or address
// the server's certificate must carry on `ssl`: `server_name` when not
// empty, else `host` (the URL's host, without brackets).
[[nodiscard]] absl::Status PrepareTlsConnection(SSL* ssl, const std::string& host,
                                                const std::string& server_name);

// Why the server's certificate was refused on `ssl` ("" when it was not),
// e.g. "the server's certificate was not accepted: unable to get local
// issuer certificate (it does not chain to the CA in /x/ca.pem)".
std::string CertificateRefusal(SSL* ssl, const security::TlsClientConfig& config,
                               const std::string& expected_name);

}  // namespace idgen::http

#endif  // IDGEN_HTTP_CLIENT_TLS_H_
