// Copyright idgen authors.
#include "src/apphost/local_pki.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "absl/strings/str_cat.h"
#include "src/config/json_fields.h"
#include "src/security/certificate_issuer.h"

namespace idgen::apphost {
namespace {

bool ValidName(const std::string& name) {
  if (name.empty() || name == "ca") return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// Writes `text` to `path` with `mode` by way of a temporary file and a
// rename, so a reader never sees half a file.
absl::Status WriteFileAtomically(const std::string& path, const std::string& text, mode_t mode) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return absl::PermissionDeniedError(absl::StrCat("cannot write ", tmp, ": ", strerror(errno)));
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return absl::PermissionDeniedError(absl::StrCat("cannot write ", tmp, ": ", strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::PermissionDeniedError(absl::StrCat("cannot write ", path, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

// The pair in `dir`/`name`.{crt,key}, when both files read.
std::optional<security::PemKeyPair> ReadPair(const std::string& dir, const std::string& name) {
  absl::StatusOr<std::string> cert = config::ReadTextFile(absl::StrCat(dir, "/", name, ".crt"));
  absl::StatusOr<std::string> key = config::ReadTextFile(absl::StrCat(dir, "/", name, ".key"));
  if (!cert.ok() || !key.ok()) return std::nullopt;
  return security::PemKeyPair{*std::move(cert), *std::move(key)};
}

// Whether `pair` can be kept: signed by `ca_pem` (or self-signed when
// `ca_pem` is null), its key its own, and valid past now + renew_before.
bool Usable(const security::PemKeyPair& pair, const std::string& ca_pem, absl::Time now,
            absl::Duration renew_before) {
  absl::StatusOr<security::CertificateFacts> facts = security::ReadCertificateFacts(pair.cert_pem);
  if (!facts.ok() || facts->not_before > now || facts->not_after < now + renew_before) {
    return false;
  }
  return security::CheckIssuedBy(pair, ca_pem).ok();
}

absl::Status WritePair(const std::string& dir, const std::string& name,
                       const security::PemKeyPair& pair) {
  // The key first: a crash between the two leaves a pair that does not
  // match, which the next Ensure renews.
  if (absl::Status s =
          WriteFileAtomically(absl::StrCat(dir, "/", name, ".key"), pair.key_pem, 0600);
      !s.ok()) {
    return s;
  }
  return WriteFileAtomically(absl::StrCat(dir, "/", name, ".crt"), pair.cert_pem, 0644);
}

}  // namespace

absl::StatusOr<LocalPki> LocalPki::Ensure(const std::string& dir,
                                          const std::vector<std::string>& names, absl::Time now,
                                          Options options) {
  for (const std::string& name : names) {
    if (!ValidName(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("certificate name \"", name, "\" must be [a-z0-9-]+ and not \"ca\""));
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || ::chmod(dir.c_str(), 0700) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot make ", dir,
                     " a private directory: ", ec ? ec.message() : std::string(strerror(errno))));
  }
  LocalPki pki(dir);
  std::optional<security::PemKeyPair> ca = ReadPair(dir, "ca");
  if (!ca || !Usable(*ca, ca->cert_pem, now, options.renew_before)) {
    security::CertificateSpec spec;
    spec.common_name = "idgen up local CA";
    spec.organization = "idgen";
    spec.not_before = now - absl::Hours(1);
    spec.not_after = now + options.ca_validity;
    spec.is_ca = true;
    absl::StatusOr<security::PemKeyPair> made = security::IssueCertificate(spec);
    if (!made.ok()) return made.status();
    if (absl::Status s = WritePair(dir, "ca", *made); !s.ok()) return s;
    ca = *std::move(made);
    pki.made_.emplace_back("ca");
  }
  for (const std::string& name : names) {
    std::optional<security::PemKeyPair> leaf = ReadPair(dir, name);
    if (leaf && Usable(*leaf, ca->cert_pem, now, options.renew_before)) continue;
    security::CertificateSpec spec;
    spec.common_name = absl::StrCat("idgen-", name);
    spec.organization = "idgen";
    spec.not_before = now - absl::Hours(1);
    spec.not_after = now + options.leaf_validity;
    spec.dns_names = {"localhost"};
    spec.ip_addresses = {"127.0.0.1", "::1"};
    absl::StatusOr<security::PemKeyPair> made = security::IssueCertificate(spec, &*ca);
    if (!made.ok()) return made.status();
    if (absl::Status s = WritePair(dir, name, *made); !s.ok()) return s;
    pki.made_.push_back(name);
  }
  return pki;
}

}  // namespace idgen::apphost
