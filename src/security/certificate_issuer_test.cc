// Copyright idgen authors.
#include "src/security/certificate_issuer.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>

#include <gtest/gtest.h>

namespace idgen::security {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

CertificateSpec Spec(const std::string& cn, bool is_ca) {
  CertificateSpec spec;
  spec.common_name = cn;
  spec.not_before = kNow - absl::Hours(1);
  spec.not_after = kNow + absl::Hours(24);
  spec.is_ca = is_ca;
  return spec;
}

std::unique_ptr<X509, decltype(&X509_free)> Parse(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  return {PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free};
}

// OpenSSL's own chain verification of `leaf` against `ca` at kNow, for
// `purpose` (X509_PURPOSE_SSL_SERVER / _CLIENT), with `host` checked when
// not empty.
int Verify(const std::string& ca, const std::string& leaf, int purpose, const char* ip) {
  auto ca_cert = Parse(ca);
  auto leaf_cert = Parse(leaf);
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  X509_STORE_add_cert(store.get(), ca_cert.get());
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                      X509_STORE_CTX_free);
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf_cert.get(), nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, absl::ToTimeT(kNow));
  X509_VERIFY_PARAM_set_purpose(param, purpose);
  if (ip != nullptr) X509_VERIFY_PARAM_set1_ip_asc(param, ip);
  if (X509_verify_cert(ctx.get()) == 1) return X509_V_OK;
  return X509_STORE_CTX_get_error(ctx.get());
}

TEST(CertificateIssuerTest, LeafChainsToItsCaForServerAndClientUse) {
  absl::StatusOr<PemKeyPair> ca = IssueCertificate(Spec("test CA", true));
  ASSERT_TRUE(ca.ok()) << ca.status();
  CertificateSpec leaf_spec = Spec("idgen-node", false);
  leaf_spec.dns_names = {"localhost"};
  leaf_spec.ip_addresses = {"127.0.0.1", "::1"};
  absl::StatusOr<PemKeyPair> leaf = IssueCertificate(leaf_spec, &*ca);
  ASSERT_TRUE(leaf.ok()) << leaf.status();

  EXPECT_EQ(Verify(ca->cert_pem, leaf->cert_pem, X509_PURPOSE_SSL_SERVER, "127.0.0.1"), X509_V_OK);
  EXPECT_EQ(Verify(ca->cert_pem, leaf->cert_pem, X509_PURPOSE_SSL_CLIENT, "::1"), X509_V_OK);
  EXPECT_EQ(Verify(ca->cert_pem, leaf->cert_pem, X509_PURPOSE_SSL_SERVER, "10.0.0.1"),
            X509_V_ERR_IP_ADDRESS_MISMATCH);
  EXPECT_TRUE(CheckIssuedBy(*leaf, ca->cert_pem).ok());

  absl::StatusOr<CertificateFacts> facts = ReadCertificateFacts(leaf->cert_pem);
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->common_name, "idgen-node");
  EXPECT_EQ(facts->not_before, kNow - absl::Hours(1));
  EXPECT_EQ(facts->not_after, kNow + absl::Hours(24));
}

TEST(CertificateIssuerTest, ALeafIsNoCaAndAnotherCaIsNotTrusted) {
  absl::StatusOr<PemKeyPair> ca = IssueCertificate(Spec("test CA", true));
  absl::StatusOr<PemKeyPair> other = IssueCertificate(Spec("other CA", true));
  ASSERT_TRUE(ca.ok() && other.ok());
  absl::StatusOr<PemKeyPair> leaf = IssueCertificate(Spec("leaf", false), &*ca);
  ASSERT_TRUE(leaf.ok());
  absl::StatusOr<PemKeyPair> grandchild = IssueCertificate(Spec("grandchild", false), &*leaf);
  ASSERT_TRUE(grandchild.ok());

  EXPECT_EQ(Verify(other->cert_pem, leaf->cert_pem, X509_PURPOSE_SSL_CLIENT, nullptr),
            X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  EXPECT_NE(Verify(ca->cert_pem, grandchild->cert_pem, X509_PURPOSE_SSL_CLIENT, nullptr),
            X509_V_OK);
  EXPECT_EQ(CheckIssuedBy(*leaf, other->cert_pem).code(), absl::StatusCode::kFailedPrecondition);
  PemKeyPair wrong_key{leaf->cert_pem, other->key_pem};
  EXPECT_EQ(CheckIssuedBy(wrong_key, ca->cert_pem).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(CertificateIssuerTest, SerialsDiffer) {
  absl::StatusOr<PemKeyPair> a = IssueCertificate(Spec("a", true));
  absl::StatusOr<PemKeyPair> b = IssueCertificate(Spec("a", true));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(Parse(a->cert_pem).get()),
                             X509_get0_serialNumber(Parse(b->cert_pem).get())),
            0);
}

TEST(CertificateIssuerTest, RefusesNonsense) {
  CertificateSpec no_name = Spec("", false);
  EXPECT_EQ(IssueCertificate(no_name).status().code(), absl::StatusCode::kInvalidArgument);
  CertificateSpec backwards = Spec("x", false);
  backwards.not_after = backwards.not_before;
  EXPECT_EQ(IssueCertificate(backwards).status().code(), absl::StatusCode::kInvalidArgument);
  CertificateSpec bad_ip = Spec("x", false);
  bad_ip.ip_addresses = {"not-an-ip"};
  EXPECT_EQ(IssueCertificate(bad_ip).status().code(), absl::StatusCode::kInvalidArgument);
  PemKeyPair garbage{"junk", "junk"};
  EXPECT_EQ(IssueCertificate(Spec("x", false), &garbage).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ReadCertificateFacts("junk").ok());
}

}  // namespace
}  // namespace idgen::security
