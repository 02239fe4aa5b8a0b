// Copyright idgen authors.
#include "src/http/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>
#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "src/base/status_macros.h"

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

TlsContextSource::TlsContextSource(std::shared_ptr<security::CertificateWatcher> watcher)
    : watcher_(std::move(watcher)) {}

absl::StatusOr<std::shared_ptr<TlsContextSource>> TlsContextSource::Create(
    std::shared_ptr<security::CertificateWatcher> watcher) {
  std::shared_ptr<TlsContextSource> source(new TlsContextSource(std::move(watcher)));
  std::shared_ptr<const security::CertificateSet> set = source->watcher_->Current();
  absl::StatusOr<std::shared_ptr<ssl::context>> first = source->Build(*set);
  if (!first.ok()) return first.status();
  MutexLock lock(&source->mu_);
  source->current_ = *std::move(first);
  source->built_from_ = std::move(set);
  return source;
}

absl::StatusOr<std::shared_ptr<ssl::context>> TlsContextSource::Build(
    const security::CertificateSet& set) const {
  const security::TlsServerConfig& config = watcher_->config();
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
  ctx->use_certificate_chain(boost::asio::buffer(set.cert_pem), ec);
  if (ec) return Failed("--tls-cert", config.cert_file, ec);
  ctx->use_private_key(boost::asio::buffer(set.key_pem), ssl::context::pem, ec);
  if (ec) return Failed("--tls-key", config.key_file, ec);
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-key \"", config.key_file, "\" does not belong to the certificate"));
  }
  if (config.client_auth != security::ClientAuth::kNone) {
    ctx->add_certificate_authority(boost::asio::buffer(set.ca_pem), ec);
    if (ec) return Failed("--tls-client-ca", config.client_ca_file, ec);
    if (!set.crls.empty()) {
      IDGEN_RETURN_IF_ERROR(security::AddCrlsToStore(SSL_CTX_get_cert_store(ctx->native_handle()),
                                                     set.crls, "--tls-crl-dir", config.crl_dir));
    }
    ssl::verify_mode mode = ssl::verify_peer;
    if (config.client_auth == security::ClientAuth::kRequire) {
      mode |= ssl::verify_fail_if_no_peer_cert;
    }
    ctx->set_verify_mode(mode, ec);
  }
  SSL_CTX_set_alpn_select_cb(ctx->native_handle(), SelectAlpn, nullptr);
  return ctx;
}

std::shared_ptr<ssl::context> TlsContextSource::Current() {
  watcher_->Poll();
  std::shared_ptr<const security::CertificateSet> set = watcher_->Current();
  MutexLock lock(&mu_);
  if (set == built_from_) return current_;
  built_from_ = set;
  absl::StatusOr<std::shared_ptr<ssl::context>> next = Build(*set);
  if (!next.ok()) {
    // The watcher checked the set, so this is OpenSSL disagreeing with it.
    std::cerr << "idgen: new TLS certificate set does not load (" << next.status().message()
              << "); still serving the previous certificate\n";
    return current_;
  }
  current_ = *std::move(next);
  return current_;
}

}  // namespace idgen::http
