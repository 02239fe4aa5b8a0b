// Copyright idgen authors.
//
// JwksFile: the JWKS file (--jwt-jwks-file) and the key set taken from it,
// a WatchedFile (src/config/watched_file.h): looked at once per
// `reload_interval`, read again when it changed and on SIGHUP; a version
// that does not read or parse is not taken (the previous keys stay in use,
// and the failure is logged once per change, naming the file and the key at
// fault, never key bytes).
//
// Keys come from a file, never from the network: no fetch on the request
// path, nothing an attacker can point the process at.
#ifndef IDGEN_AUTH_JWKS_FILE_H_
#define IDGEN_AUTH_JWKS_FILE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "idgen/clock.h"
#include "src/auth/jwks.h"
#include "src/config/watched_file.h"

namespace idgen::auth {

using JwksFile = config::WatchedFile<Jwks>;

// Reads the first set; its error ("JWKS file <path>: ...") when that fails.
// `clock` must outlive the file; `log` defaults to standard error.
[[nodiscard]] absl::StatusOr<std::unique_ptr<JwksFile>> OpenJwksFile(
    std::string path, Clock* clock, absl::Duration reload_interval = absl::Seconds(1),
    JwksFile::Log log = nullptr);

}  // namespace idgen::auth

#endif  // IDGEN_AUTH_JWKS_FILE_H_
