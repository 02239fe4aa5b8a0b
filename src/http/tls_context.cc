// Copyright idgen authors.
#include "src/http/tls_context.h"

#include <openssl/ssl.h>
#include <sys/stat.h>

#include <cstring>
#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"

namespace idgen::http {
namespace {

namespace ssl = boost::asio::ssl;

constexpr char kAeadTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// ALPN: pick http/1.1 when the client offers it; otherwise no ALPN at all.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  static constexpr unsigned char kHttp11[] = {'h', 't', 't', 'p', '/', '1', '.', '1'};
  for (unsigned int i = 0; i < inlen;) {
    const unsigned int len = in[i];
    if (i + 1 + len > inlen) break;
    if (len == sizeof(kHttp11) && std::memcmp(in + i + 1, kHttp11, len) == 0) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

absl::Status Failed(const char* what, const std::string& file,
                    const boost::system::error_code& ec) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, " \"", file, "\": cannot be loaded: ", ec.message()));
}

}  // namespace

TlsContextSource::TlsContextSource(security::TlsServerConfig config, Clock* clock)
    : config_(std::move(config)), clock_(clock) {}

absl::StatusOr<std::shared_ptr<TlsContextSource>> TlsContextSource::Create(
    security::TlsServerConfig config, Clock* clock) {
  std::shared_ptr<TlsContextSource> source(new TlsContextSource(std::move(config), clock));
  absl::StatusOr<std::shared_ptr<ssl::context>> first = source->Build();
  if (!first.ok()) return first.status();
  MutexLock lock(&source->mu_);
  source->current_ = *std::move(first);
  source->stamps_ = source->Stamps();
  source->last_check_ = clock->MonotonicNow();
  return source;
}

absl::StatusOr<std::shared_ptr<ssl::context>> TlsContextSource::Build() const {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use,
                   ec);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  // TLS 1.2: forward-secret AEAD suites only (TLS 1.3's are all AEAD); the
  // TLS scan test holds every HTTPS listener to this.
  SSL_CTX_set_cipher_list(ctx->native_handle(), kAeadTls12Ciphers);
  ctx->use_certificate_chain_file(config_.cert_file, ec);
  if (ec) return Failed("--tls-cert", config_.cert_file, ec);
  ctx->use_private_key_file(config_.key_file, ssl::context::pem, ec);
  if (ec) return Failed("--tls-key", config_.key_file, ec);
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-key \"", config_.key_file, "\" does not belong to the certificate"));
  }
  if (config_.client_auth != security::ClientAuth::kNone) {
    ctx->load_verify_file(config_.client_ca_file, ec);
    if (ec) return Failed("--tls-client-ca", config_.client_ca_file, ec);
    ssl::verify_mode mode = ssl::verify_peer;
    if (config_.client_auth == security::ClientAuth::kRequire) {
      mode |= ssl::verify_fail_if_no_peer_cert;
    }
    ctx->set_verify_mode(mode, ec);
  }
  SSL_CTX_set_alpn_select_cb(ctx->native_handle(), SelectAlpn, nullptr);
  return ctx;
}

std::vector<TlsContextSource::FileStamp> TlsContextSource::Stamps() const {
  std::vector<FileStamp> out;
  for (const std::string* file : {&config_.cert_file, &config_.key_file, &config_.client_ca_file}) {
    FileStamp stamp;
    struct stat st {};
    if (!file->empty() && ::stat(file->c_str(), &st) == 0) {
      stamp.inode = static_cast<int64_t>(st.st_ino);
      stamp.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
      stamp.size = static_cast<int64_t>(st.st_size);
    }
    out.push_back(stamp);
  }
  return out;
}

std::shared_ptr<ssl::context> TlsContextSource::Current() {
  MutexLock lock(&mu_);
  const absl::Duration now = clock_->MonotonicNow();
  if (now - last_check_ < config_.reload_interval) return current_;
  last_check_ = now;
  std::vector<FileStamp> stamps = Stamps();
  if (stamps == stamps_ || stamps == failed_stamps_) return current_;
  absl::StatusOr<std::shared_ptr<ssl::context>> next = Build();
  if (!next.ok()) {
    failed_stamps_ = std::move(stamps);
    std::cerr << "idgen: TLS files changed but do not load (" << next.status().message()
              << "); still serving the previous certificate\n";
    return current_;
  }
  current_ = *std::move(next);
  stamps_ = std::move(stamps);
  failed_stamps_.clear();
  ++reloads_;
  return current_;
}

int64_t TlsContextSource::reloads() const {
  MutexLock lock(&mu_);
  return reloads_;
}

}  // namespace idgen::http
