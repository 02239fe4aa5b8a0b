// Copyright idgen authors.
//
// GrpcTlsStage: TLS (or mutual TLS) for a gRPC listener, served from the
// sets a CertificateWatcher has checked, never from the operator's files
// directly.
//
// Why a stage: gRPC 1.51's FileWatcherCertificateProvider reads the files
// it is given every refresh interval and reports nothing to its caller. A
// missing file keeps the last pair, but an unparsable key, or a key that
// does not match the certificate, replaces the handshaker and every new
// handshake fails until the files are fixed (seen with gRPC 1.51.1 and a
// garbage key: "Invalid private key", "Update handshaker factory failed").
// So the provider watches a private directory instead (mode 0700, under
// $TMPDIR) that only this class writes: each published set goes into a new
// `gen-N` directory, and the `current` symlink is swapped to it by an
// atomic rename, as the provider's header asks. The provider looks every
// second, so a set published by the watcher reaches new handshakes within
// about a second; open connections keep their handshake. (The provider
// reads the key and the certificate one after the other; a swap between the
// two reads, a window of microseconds once per published set, could hand it
// a mixed pair for one refresh. It then reads the whole new pair a second
// later.)
//
// CRLs (config.crl_dir) are staged too and given to gRPC with
// set_crl_directory; gRPC reads them when it builds a handshaker, which it
// does when the staged files change (a stamp in the staged CA file makes a
// CRL-only change one).
//
// Thread-safety: Credentials() may be called from any thread; publishing
// runs on the watcher's reload thread.
#ifndef IDGEN_SECURITY_GRPC_TLS_H_
#define IDGEN_SECURITY_GRPC_TLS_H_

#include <cstdint>
#include <memory>
#include <string>

#include <grpcpp/security/server_credentials.h>

#include "absl/status/statusor.h"
#include "src/security/certificate_watcher.h"

namespace idgen::security {

class GrpcTlsStage {
 public:
  // Makes the stage, publishes the watcher's current set into it and
  // subscribes to the watcher's changes. The stage must outlive the
  // watcher's reloads (destroy the watcher first), and the watcher's config
  // must be enabled.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<GrpcTlsStage>> Create(
      CertificateWatcher* watcher);
  ~GrpcTlsStage();  // removes the directory
  GrpcTlsStage(const GrpcTlsStage&) = delete;
  GrpcTlsStage& operator=(const GrpcTlsStage&) = delete;

  // Credentials for a listening port: the staged files, with the client
  // certificate request of the watcher's config.
  std::shared_ptr<grpc::ServerCredentials> Credentials() const;

  const std::string& dir() const { return dir_; }

 private:
  GrpcTlsStage(std::string dir, TlsServerConfig config);
  absl::Status Publish(const CertificateSet& set);

  const std::string dir_;
  const TlsServerConfig config_;
  uint64_t next_generation_ = 0;  // only the watcher's reload thread publishes
};

}  // namespace idgen::security

#endif  // IDGEN_SECURITY_GRPC_TLS_H_
