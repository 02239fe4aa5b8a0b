// Copyright idgen authors.
//
// How a command reaches etcd securely, one definition for every command that
// talks to etcd: TLS with etcdctl's flag names and etcd authentication.
//
//   --etcd-cacert FILE         IDGEN_ETCD_CACERT    CA of etcd's certificate
//   --etcd-cert FILE           IDGEN_ETCD_CERT      client certificate
//   --etcd-key FILE            IDGEN_ETCD_KEY       its private key
//   --etcd-crl-dir DIR         IDGEN_ETCD_CRL_DIR   hashed CRLs: a revoked etcd
//                                                   certificate is refused
//   --etcd-user NAME           IDGEN_ETCD_USER      etcd user
//   --etcd-password-file FILE  IDGEN_ETCD_PASSWORD_FILE
//                              IDGEN_ETCD_PASSWORD  the password itself
//
// There is deliberately no password flag: a password in argv is readable by
// every local user (ps, /proc/PID/cmdline).
//
// Thread-safety: plain values and functions of their arguments.
#ifndef IDGEN_CLI_ETCD_FLAGS_H_
#define IDGEN_CLI_ETCD_FLAGS_H_

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "src/coord/etcd_client.h"

namespace idgen::cli {

struct EtcdSecurityFlags {
  std::string cacert;
  std::string cert;
  std::string key;
  std::string crl_dir;
  std::string user;
  std::string password_file;
};

// Adds the flags above to `cmd`.
void AddEtcdSecurityFlags(CLI::App* cmd, EtcdSecurityFlags* flags);

// Sets options->tls, user and password from the flags, for the etcd
// endpoints `endpoints` (as ParseEtcdEndpoints returned them: one scheme).
// `env_password` is IDGEN_ETCD_PASSWORD (nullopt when unset);
// `check_permissions`: refuse key and password files that group or others
// may read (off with IDGEN_SKIP_KEY_PERMISSION_CHECK=1). INVALID_ARGUMENT
// naming the flag for: TLS flags with plaintext endpoints, https:// without
// --etcd-cacert, a certificate without its key (or the reverse), a file that
// is unusable, a user without a password or a password without a user, both
// password sources at once, an empty password. The password never appears
// in a message.
[[nodiscard]] absl::Status ApplyEtcdSecurity(const EtcdSecurityFlags& flags,
                                             const std::vector<std::string>& endpoints,
                                             const std::optional<std::string>& env_password,
                                             bool check_permissions, absl::Time now,
                                             coord::EtcdClient::Options* options);

// "http://HOST:PORT", "https://HOST:PORT" or "HOST:PORT", comma-separated,
// all https:// or none; INVALID_ARGUMENT naming --etcd otherwise.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ParseEtcdEndpoints(const std::string& value);

}  // namespace idgen::cli

#endif  // IDGEN_CLI_ETCD_FLAGS_H_
