// Copyright idgen authors.
#include "src/security/grpc_tls.h"

#include <fcntl.h>
#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "src/base/status_macros.h"

namespace idgen::security {
namespace {

// How often gRPC looks at the staged files.
constexpr unsigned int kProviderRefreshSeconds = 1;

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat("TLS stage: ", what, " \"", path, "\": ", std::strerror(errno)));
}

// Written whole with `mode` before the symlink swap exposes it (no fsync:
// the stage lives as long as the process and is read through the same page
// cache).
absl::Status WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Errno("cannot create", path);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      absl::Status s = Errno("cannot write", path);
      ::close(fd);
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return Errno("cannot close", path);
  return absl::OkStatus();
}

std::string TempRoot() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
}

}  // namespace

GrpcTlsStage::GrpcTlsStage(std::string dir, TlsServerConfig config)
    : dir_(std::move(dir)), config_(std::move(config)) {}

absl::StatusOr<std::unique_ptr<GrpcTlsStage>> GrpcTlsStage::Create(CertificateWatcher* watcher) {
  std::string pattern = absl::StrCat(TempRoot(), "/idgen-tls-XXXXXX");
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) return Errno("cannot create a directory like", pattern);
  // mkdtemp makes it 0700: only this process's user reads the staged key.
  std::unique_ptr<GrpcTlsStage> stage(new GrpcTlsStage(buf.data(), watcher->config()));
  if (absl::Status s = stage->Publish(*watcher->Current()); !s.ok()) return s;
  GrpcTlsStage* raw = stage.get();
  watcher->OnChange([raw](const std::shared_ptr<const CertificateSet>& set) {
    if (absl::Status s = raw->Publish(*set); !s.ok()) {
      std::cerr << "idgen: " << s.message() << "; gRPC keeps the previous certificate" << std::endl;
    }
  });
  return stage;
}

GrpcTlsStage::~GrpcTlsStage() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

absl::Status GrpcTlsStage::Publish(const CertificateSet& set) {
  const uint64_t gen = next_generation_++;
  const std::string name = absl::StrCat("gen-", gen);
  const std::string gen_dir = absl::StrCat(dir_, "/", name);
  if (::mkdir(gen_dir.c_str(), 0700) != 0) return Errno("cannot create", gen_dir);
  IDGEN_RETURN_IF_ERROR(WriteFile(gen_dir + "/cert.pem", set.cert_pem, 0600));
  IDGEN_RETURN_IF_ERROR(WriteFile(gen_dir + "/key.pem", set.key_pem, 0600));
  if (!config_.client_ca_file.empty()) {
    // The stamp (text outside PEM blocks is ignored) makes every published
    // set a change gRPC acts on, so that it reads the new CRLs.
    IDGEN_RETURN_IF_ERROR(
        WriteFile(gen_dir + "/ca.pem", absl::StrCat("# idgen set ", gen, "\n", set.ca_pem), 0600));
  }
  if (!config_.crl_dir.empty()) {
    const std::string crl_dir = gen_dir + "/crl";
    if (::mkdir(crl_dir.c_str(), 0700) != 0) return Errno("cannot create", crl_dir);
    for (const auto& [file, pem] : set.crls) {
      IDGEN_RETURN_IF_ERROR(WriteFile(absl::StrCat(crl_dir, "/", file), pem, 0600));
    }
  }
  const std::string link = dir_ + "/current";
  const std::string tmp_link = absl::StrCat(dir_, "/current.", gen);
  if (::symlink(name.c_str(), tmp_link.c_str()) != 0) return Errno("cannot create", tmp_link);
  if (::rename(tmp_link.c_str(), link.c_str()) != 0) return Errno("cannot replace", link);
  // The one before the previous set is unused by now (gRPC reads within a
  // second; sets come at most once per reload interval or SIGHUP).
  if (gen >= 2) {
    std::error_code ec;
    std::filesystem::remove_all(absl::StrCat(dir_, "/gen-", gen - 2), ec);
  }
  return absl::OkStatus();
}

std::shared_ptr<grpc::ServerCredentials> GrpcTlsStage::Credentials() const {
  const std::string current = dir_ + "/current";
  std::shared_ptr<grpc::experimental::CertificateProviderInterface> provider;
  if (config_.client_ca_file.empty()) {
    provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        current + "/key.pem", current + "/cert.pem", kProviderRefreshSeconds);
  } else {
    provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        current + "/key.pem", current + "/cert.pem", current + "/ca.pem", kProviderRefreshSeconds);
  }
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!config_.client_ca_file.empty()) options.watch_root_certs();
  if (!config_.crl_dir.empty()) options.set_crl_directory(current + "/crl");
  switch (config_.client_auth) {
    case ClientAuth::kNone:
      options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
      break;
    case ClientAuth::kRequest:
      options.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
      break;
    case ClientAuth::kRequire:
      options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
      break;
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace idgen::security
