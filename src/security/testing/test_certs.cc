// Copyright idgen authors.
#include "src/security/testing/test_certs.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>

namespace idgen::security::testing {
namespace {

[[noreturn]] void Fail(const char* what) {
  std::cerr << "test_certs: " << what << " failed\n";
  std::abort();
}

std::string ToPem(const std::function<int(BIO*)>& write) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (write(bio.get()) != 1) Fail("PEM write");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  return std::string(data, static_cast<size_t>(n));
}

EVP_PKEY* ReadKey(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) Fail("issuer key read");
  return key;
}

X509* ReadCert(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (cert == nullptr) Fail("issuer certificate read");
  return cert;
}

}  // namespace

TestCert MakeCert(const std::string& cn, absl::Time not_after, const TestCert* issuer) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (key == nullptr) Fail("EC key generation");
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  static long serial = 1;  // NOLINT(google-runtime-int)
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, -3600, nullptr);
  ASN1_TIME_set(X509_getm_notAfter(cert.get()),
                static_cast<time_t>(absl::ToUnixSeconds(not_after)));
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> signer(nullptr, EVP_PKEY_free);
  if (issuer == nullptr) {
    X509_set_issuer_name(cert.get(), name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    X509_EXTENSION* ext =
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints, "critical,CA:TRUE");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  } else {
    std::unique_ptr<X509, decltype(&X509_free)> ca(ReadCert(issuer->cert_pem), X509_free);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get()));
    signer.reset(ReadKey(issuer->key_pem));
  }
  if (X509_sign(cert.get(), signer ? signer.get() : key.get(), EVP_sha256()) == 0) Fail("sign");
  TestCert out;
  out.cert_pem = ToPem([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); });
  out.key_pem = ToPem([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  return out;
}

std::string WritePrivateFile(const std::string& dir, const std::string& name,
                             const std::string& text) {
  std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return path;
}

}  // namespace idgen::security::testing
