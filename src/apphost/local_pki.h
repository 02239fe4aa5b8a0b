// Copyright idgen authors.
//
// LocalPki: the certificates `idgen up` uses to wire mutual TLS between the
// processes it runs. One CA made for the state dir, and one leaf per name
// ("etcd", "node", "gateway", "apphost"), each valid for server and client
// use on 127.0.0.1, ::1 and localhost, kept in DIR (mode 0700):
//
//   DIR/ca.crt  DIR/ca.key  DIR/NAME.crt  DIR/NAME.key   (keys mode 0600)
//
// Ensure makes what is missing, unreadable, not signed by the CA, or within
// `renew_before` of expiry (a new CA renews every leaf), and keeps the rest,
// so a restarted `idgen up` keeps its certificates. The CA key never leaves
// DIR; nothing here is meant for use beyond this host.
//
// Thread-safety: Ensure is not safe against another process using DIR at the
// same time (`idgen up` holds its state dir alone).
#ifndef IDGEN_APPHOST_LOCAL_PKI_H_
#define IDGEN_APPHOST_LOCAL_PKI_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace idgen::apphost {

class LocalPki {
 public:
  struct Options {
    absl::Duration ca_validity = absl::Hours(24 * 365);
    absl::Duration leaf_validity = absl::Hours(24 * 30);
    absl::Duration renew_before = absl::Hours(24 * 7);
  };

  // PERMISSION_DENIED when DIR cannot be made or written; INVALID_ARGUMENT
  // for a name that is not [a-z0-9-]+.
  [[nodiscard]] static absl::StatusOr<LocalPki> Ensure(const std::string& dir,
                                                       const std::vector<std::string>& names,
                                                       absl::Time now, Options options);
  [[nodiscard]] static absl::StatusOr<LocalPki> Ensure(const std::string& dir,
                                                       const std::vector<std::string>& names,
                                                       absl::Time now) {
    return Ensure(dir, names, now, Options());
  }

  const std::string& dir() const { return dir_; }
  std::string ca_file() const { return dir_ + "/ca.crt"; }
  std::string cert_file(const std::string& name) const { return dir_ + "/" + name + ".crt"; }
  std::string key_file(const std::string& name) const { return dir_ + "/" + name + ".key"; }
  // The files made by this Ensure ("ca", "node", ...), in order; empty when
  // everything was kept.
  const std::vector<std::string>& made() const { return made_; }

 private:
  explicit LocalPki(std::string dir) : dir_(std::move(dir)) {}

  std::string dir_;
  std::vector<std::string> made_;
};

}  // namespace idgen::apphost

#endif  // IDGEN_APPHOST_LOCAL_PKI_H_
