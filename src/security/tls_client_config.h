// Copyright idgen authors.
//
// TlsClientConfig: how an idgen process calls a TLS server (a gateway
// calling its nodes, bench calling a node, a node calling etcd; later the
// client library).
//
//   ca_file      PEM CA bundle the server's certificate must chain to
//   cert_file    PEM client certificate, for servers that require one
//   key_file     its private key (both or neither)
//   server_name  the name checked against the server's certificate instead
//                of the host in the target (e.g. targets by IP address,
//                certificates by name); empty: the target's host
//   crl_dir      directory of hashed CRLs (`openssl rehash`): server
//                certificates they revoke are refused (every CA of the
//                chain then needs a CRL there). gRPC reads it when a
//                channel's TLS context is built: a new CRL reaches channels
//                made after it (restart the caller to apply it to all)
//   reload_interval  how often the files are read again
//
// CheckTlsClientConfig reads every file with OpenSSL and says which one is
// unusable, as CheckTlsServerConfig does for listeners.
//
// Thread-safety: plain values and pure functions.
#ifndef IDGEN_SECURITY_TLS_CLIENT_CONFIG_H_
#define IDGEN_SECURITY_TLS_CLIENT_CONFIG_H_

#include <memory>
#include <string>

#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace idgen::security {

struct TlsClientConfig {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;
  std::string crl_dir;
  absl::Duration reload_interval = absl::Seconds(5);
  bool check_key_permissions = true;  // as TlsServerConfig's

  bool enabled() const { return !ca_file.empty(); }
};

// The flags a command takes the files with, for messages.
struct TlsClientFlagNames {
  std::string ca;           // "--backend-tls-ca"
  std::string cert;         // "--backend-tls-cert"
  std::string key;          // "--backend-tls-key"
  std::string server_name;  // "--backend-tls-server-name"
  std::string crl_dir;      // "--backend-tls-crl-dir" (empty: the command has none)

  // PREFIXca, PREFIXcert, PREFIXkey, PREFIXserver-name, PREFIXcrl-dir.
  static TlsClientFlagNames WithPrefix(const std::string& prefix);
};

// OK when disabled with no file named, or when every named file is usable.
// INVALID_ARGUMENT naming the flag and the file otherwise.
[[nodiscard]] absl::Status CheckTlsClientConfig(const TlsClientConfig& config, absl::Time now,
                                                const TlsClientFlagNames& flags);
// The same, for flags named `flag_prefix` + "ca", "cert", "key",
// "server-name", "crl-dir" (e.g. "--backend-tls-").
[[nodiscard]] absl::Status CheckTlsClientConfig(const TlsClientConfig& config, absl::Time now,
                                                const std::string& flag_prefix);

// Insecure credentials when disabled; else TLS verifying the server against
// ca_file, presenting cert_file when set, files reloaded.
std::shared_ptr<grpc::ChannelCredentials> GrpcChannelCredentials(const TlsClientConfig& config);

// Sets the channel argument that checks `server_name` instead of the
// target's host, when one is configured.
void ApplyServerName(const TlsClientConfig& config, grpc::ChannelArguments* args);

}  // namespace idgen::security

#endif  // IDGEN_SECURITY_TLS_CLIENT_CONFIG_H_
