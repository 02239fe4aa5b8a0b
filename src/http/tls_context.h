// Copyright idgen authors.
//
// TlsContextSource: the OpenSSL server context an HttpServer serves TLS
// with (HttpServer::Options::tls), built from a security::TlsServerConfig:
// TLS 1.2 or newer, forward-secret AEAD cipher suites only, ALPN "http/1.1"
// (a client offering only other protocols is served without ALPN), client
// certificates asked for and verified against the client CA as client_auth
// says.
//
// Renewal: Current() looks at the files at most once per reload_interval
// (on the injected clock's monotonic time); when one changed (inode,
// modification time or size), it builds a new context, which new connections get; open
// connections keep theirs. A new set that does not load (a key written
// before its certificate, say) leaves the last good context in use, and
// the failure is logged once per change.
//
// Thread-safety: Current() may be called from any thread.
#ifndef IDGEN_HTTP_TLS_CONTEXT_H_
#define IDGEN_HTTP_TLS_CONTEXT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "idgen/clock.h"
#include "idgen/internal/mutex.h"
#include "src/security/tls_server_config.h"

namespace idgen::http {

class TlsContextSource {
 public:
  // Builds the first context; INVALID_ARGUMENT naming the file when the
  // files do not load (call security::CheckTlsServerConfig first for the
  // friendlier messages). `clock` must outlive the source.
  [[nodiscard]] static absl::StatusOr<std::shared_ptr<TlsContextSource>> Create(
      security::TlsServerConfig config, Clock* clock);

  std::shared_ptr<boost::asio::ssl::context> Current() ABSL_LOCKS_EXCLUDED(mu_);
  // Contexts built after the first one.
  int64_t reloads() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // What tells a file changed: a rename into place gives a new inode, a
  // rewrite a new modification time (coarse: a few ms) or size.
  struct FileStamp {
    int64_t inode = -1;
    int64_t mtime_ns = -1;
    int64_t size = -1;
    bool operator==(const FileStamp&) const = default;
  };
  TlsContextSource(security::TlsServerConfig config, Clock* clock);
  absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> Build() const;
  std::vector<FileStamp> Stamps() const;

  const security::TlsServerConfig config_;
  Clock* const clock_;
  mutable Mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> current_ ABSL_GUARDED_BY(mu_);
  std::vector<FileStamp> stamps_ ABSL_GUARDED_BY(mu_);
  std::vector<FileStamp> failed_stamps_ ABSL_GUARDED_BY(mu_);  // last set that did not load
  absl::Duration last_check_ ABSL_GUARDED_BY(mu_);
  int64_t reloads_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace idgen::http

#endif  // IDGEN_HTTP_TLS_CONTEXT_H_
