// Copyright idgen authors.
#include "src/auth/jwks_file.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace idgen::auth {

absl::StatusOr<std::unique_ptr<JwksFile>> OpenJwksFile(std::string path, Clock* clock,
                                                       absl::Duration reload_interval,
                                                       JwksFile::Log log) {
  JwksFile::Options o;
  o.path = std::move(path);
  o.load = [](const std::string& p) { return Jwks::ReadFile(p); };
  o.success_message = [path = o.path](const Jwks& keys) {
    return absl::StrCat("JWKS file ", path, " reloaded: ", keys.keys().size(), " key(s)");
  };
  o.failure_message = [](const absl::Status& error, const Jwks& kept) {
    return absl::StrCat("JWKS reload failed: ", error.message(), "; still using the ",
                        kept.keys().size(), " key(s) loaded before");
  };
  o.log = std::move(log);
  o.clock = clock;
  o.min_interval = reload_interval;
  o.poll_every = absl::Seconds(1);
  return JwksFile::Create(std::move(o));
}

}  // namespace idgen::auth
