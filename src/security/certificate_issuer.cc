// Copyright idgen authors.
#include "src/security/certificate_issuer.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <ctime>
#include <functional>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/security/openssl_handles.h"

namespace idgen::security {
namespace {

BioPtr ReadBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

X509Ptr ParseCert(const std::string& pem) {
  BioPtr bio = ReadBio(pem);
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

KeyPtr ParseKey(const std::string& pem) {
  BioPtr bio = ReadBio(pem);
  return KeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

absl::StatusOr<std::string> ToPem(const std::function<int(BIO*)>& write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || write(bio.get()) != 1) return absl::InternalError("PEM encoding failed");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  return std::string(data, static_cast<size_t>(n));
}

// Adds one extension written in OpenSSL's config syntax ("critical,CA:TRUE").
bool AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

bool SetRandomSerial(X509* cert) {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return false;
  bytes[0] &= 0x7f;  // positive
  bytes[0] |= 0x01;  // and never zero
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(
      BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr), BN_free);
  return bn != nullptr && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr;
}

absl::Time FromAsn1(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return absl::InfinitePast();
  return absl::FromTimeT(timegm(&tm));
}

}  // namespace

absl::StatusOr<PemKeyPair> IssueCertificate(const CertificateSpec& spec, const PemKeyPair* issuer) {
  if (spec.common_name.empty()) return absl::InvalidArgumentError("certificate needs a CN");
  if (spec.not_after <= spec.not_before) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate ", spec.common_name, ": not_after must follow not_before"));
  }
  X509Ptr issuer_cert;
  KeyPtr issuer_key;
  if (issuer != nullptr) {
    issuer_cert = ParseCert(issuer->cert_pem);
    issuer_key = ParseKey(issuer->key_pem);
    if (issuer_cert == nullptr || issuer_key == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("certificate ", spec.common_name, ": the issuer's PEM does not parse"));
    }
  }
  KeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr cert(X509_new());
  if (key == nullptr || cert == nullptr) return absl::InternalError("OpenSSL allocation failed");
  X509* x = cert.get();
  if (X509_set_version(x, 2) != 1 || !SetRandomSerial(x) ||
      ASN1_TIME_set(X509_getm_notBefore(x), absl::ToTimeT(spec.not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(x), absl::ToTimeT(spec.not_after)) == nullptr ||
      X509_set_pubkey(x, key.get()) != 1) {
    return absl::InternalError("OpenSSL could not fill the certificate");
  }
  X509_NAME* name = X509_get_subject_name(x);
  auto add_name = [name](const char* field, const std::string& value) {
    return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                      0) == 1;
  };
  if ((!spec.organization.empty() && !add_name("O", spec.organization)) ||
      !add_name("CN", spec.common_name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate name \"", spec.common_name, "\" is not usable"));
  }
  X509* signer_cert = issuer_cert ? issuer_cert.get() : x;
  if (X509_set_issuer_name(x, X509_get_subject_name(signer_cert)) != 1) {
    return absl::InternalError("OpenSSL could not set the issuer");
  }
  bool ok = AddExtension(x, signer_cert, NID_subject_key_identifier, "hash");
  if (spec.is_ca) {
    ok = ok && AddExtension(x, signer_cert, NID_basic_constraints, "critical,CA:TRUE") &&
         AddExtension(x, signer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    ok = ok && AddExtension(x, signer_cert, NID_basic_constraints, "critical,CA:FALSE") &&
         AddExtension(x, signer_cert, NID_key_usage, "critical,digitalSignature") &&
         AddExtension(x, signer_cert, NID_ext_key_usage, "serverAuth,clientAuth");
  }
  if (issuer_cert) ok = ok && AddExtension(x, signer_cert, NID_authority_key_identifier, "keyid");
  if (!ok) return absl::InternalError("OpenSSL could not add the certificate's extensions");
  std::vector<std::string> alt_names;
  for (const std::string& d : spec.dns_names) alt_names.push_back(absl::StrCat("DNS:", d));
  for (const std::string& ip : spec.ip_addresses) alt_names.push_back(absl::StrCat("IP:", ip));
  if (!alt_names.empty() &&
      !AddExtension(x, signer_cert, NID_subject_alt_name, absl::StrJoin(alt_names, ","))) {
    return absl::InvalidArgumentError(absl::StrCat("certificate ", spec.common_name,
                                                   ": bad subject alternative name in ",
                                                   absl::StrJoin(alt_names, ",")));
  }
  if (X509_sign(x, issuer_key ? issuer_key.get() : key.get(), EVP_sha256()) == 0) {
    return absl::InternalError("OpenSSL could not sign the certificate");
  }
  PemKeyPair out;
  absl::StatusOr<std::string> cert_pem = ToPem([x](BIO* b) { return PEM_write_bio_X509(b, x); });
  absl::StatusOr<std::string> key_pem = ToPem([&key](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  if (!cert_pem.ok()) return cert_pem.status();
  if (!key_pem.ok()) return key_pem.status();
  out.cert_pem = *std::move(cert_pem);
  out.key_pem = *std::move(key_pem);
  return out;
}

absl::StatusOr<CertificateFacts> ReadCertificateFacts(const std::string& cert_pem) {
  X509Ptr cert = ParseCert(cert_pem);
  if (cert == nullptr) return absl::InvalidArgumentError("not a PEM certificate");
  CertificateFacts facts;
  std::array<char, 256> cn{};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn.data(),
                                static_cast<int>(cn.size())) > 0) {
    facts.common_name = cn.data();
  }
  facts.not_before = FromAsn1(X509_get0_notBefore(cert.get()));
  facts.not_after = FromAsn1(X509_get0_notAfter(cert.get()));
  return facts;
}

absl::Status CheckIssuedBy(const PemKeyPair& pair, const std::string& ca_cert_pem) {
  X509Ptr cert = ParseCert(pair.cert_pem);
  KeyPtr key = ParseKey(pair.key_pem);
  X509Ptr ca = ParseCert(ca_cert_pem);
  if (cert == nullptr || key == nullptr || ca == nullptr) {
    return absl::FailedPreconditionError("a certificate or key does not parse");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return absl::FailedPreconditionError("the key does not belong to the certificate");
  }
  EVP_PKEY* ca_key = X509_get0_pubkey(ca.get());
  if (ca_key == nullptr || X509_verify(cert.get(), ca_key) != 1) {
    return absl::FailedPreconditionError("the certificate is not signed by the CA");
  }
  return absl::OkStatus();
}

}  // namespace idgen::security
