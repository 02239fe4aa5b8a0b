// Copyright idgen authors.
//
// gRPC credentials from a TlsServerConfig: TLS (or mutual TLS) served from
// files that gRPC's FileWatcherCertificateProvider reads again every
// `reload_interval`, so a renewed certificate, key or client CA takes
// effect without a restart (new connections get it; open ones keep theirs).
// A file that cannot be read at a reload leaves the last good one in use.
//
// Thread-safety: pure function; the credentials are shared and immutable.
#ifndef IDGEN_SECURITY_GRPC_TLS_H_
#define IDGEN_SECURITY_GRPC_TLS_H_

#include <memory>

#include <grpcpp/security/server_credentials.h>

#include "src/security/tls_server_config.h"

namespace idgen::security {

// Insecure credentials when `config` is not enabled. Call
// CheckTlsServerConfig first: gRPC itself only complains at handshakes.
std::shared_ptr<grpc::ServerCredentials> GrpcServerCredentials(const TlsServerConfig& config);

}  // namespace idgen::security

#endif  // IDGEN_SECURITY_GRPC_TLS_H_
