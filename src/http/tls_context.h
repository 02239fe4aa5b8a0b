// Copyright idgen authors.
//
// TlsContextSource: the OpenSSL server context an HttpServer serves TLS
// with (HttpServer::Options::tls), built from the certificate set a
// security::CertificateWatcher publishes: TLS 1.2 or newer, forward-secret
// AEAD cipher suites only, ALPN "http/1.1" (a client offering only other
// protocols is served without ALPN), client certificates asked for and
// verified against the client CA as client_auth says, and with a CRL
// directory every certificate of the client's chain checked against the
// CRLs (X509_V_FLAG_CRL_CHECK | CRL_CHECK_ALL).
//
// Renewal: Current() asks the watcher to poll (it looks at the files at
// most once per reload interval) and, when the watcher published a new set,
// builds a new context from it, which new connections get; open connections
// keep theirs. The watcher only publishes sets that load, so a half-written
// renewal leaves the last good context in use.
//
// Thread-safety: Current() may be called from any thread.
#ifndef IDGEN_HTTP_TLS_CONTEXT_H_
#define IDGEN_HTTP_TLS_CONTEXT_H_

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "idgen/internal/mutex.h"
#include "src/security/certificate_watcher.h"

namespace idgen::http {

class TlsContextSource {
 public:
  // Builds the first context from the watcher's current set.
  [[nodiscard]] static absl::StatusOr<std::shared_ptr<TlsContextSource>> Create(
      std::shared_ptr<security::CertificateWatcher> watcher);

  std::shared_ptr<boost::asio::ssl::context> Current() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  explicit TlsContextSource(std::shared_ptr<security::CertificateWatcher> watcher);
  absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> Build(
      const security::CertificateSet& set) const;

  const std::shared_ptr<security::CertificateWatcher> watcher_;
  Mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> current_ ABSL_GUARDED_BY(mu_);
  // The watcher's set current_ was built from (or that failed to build).
  std::shared_ptr<const security::CertificateSet> built_from_ ABSL_GUARDED_BY(mu_);
};

}  // namespace idgen::http

#endif  // IDGEN_HTTP_TLS_CONTEXT_H_
