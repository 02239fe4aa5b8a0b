// Copyright idgen authors.
#include "src/auth/testing/jwt_signer.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/auth/base64url.h"

namespace idgen::auth::testing {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "jwt_signer: %s failed\n", what);
    std::abort();
  }
}

std::shared_ptr<EVP_PKEY> Own(EVP_PKEY* key) {
  Check(key != nullptr, "key generation");
  return {key, EVP_PKEY_free};
}

// A BIGNUM parameter of `key` as big-endian bytes, `width` long (0: minimal).
std::string BnParam(EVP_PKEY* key, const char* name, int width) {
  BIGNUM* bn = nullptr;
  Check(EVP_PKEY_get_bn_param(key, name, &bn) == 1, name);
  const int len = width > 0 ? width : BN_num_bytes(bn);
  std::string out(static_cast<size_t>(len), '\0');
  Check(BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), len) == len, "bn2bin");
  BN_clear_free(bn);
  return out;
}

std::string Member(const char* name, EVP_PKEY* key, const char* param, int width = 0) {
  return absl::StrCat("\"", name, "\":\"", Base64UrlEncode(BnParam(key, param, width)), "\"");
}

std::string KidMember(const std::string& kid) {
  return kid.empty() ? "" : absl::StrCat(",\"kid\":\"", kid, "\"");
}

}  // namespace

TestKey TestKey::Rsa(int bits) {
  return {JwsAlg::kRs256, Own(EVP_RSA_gen(static_cast<unsigned int>(bits)))};
}

TestKey TestKey::P256() { return {JwsAlg::kEs256, Own(EVP_EC_gen("P-256"))}; }

std::string TestKey::PublicJwk(const std::string& kid) const {
  if (alg_ == JwsAlg::kRs256) {
    return absl::StrCat("{\"kty\":\"RSA\",", Member("n", key_.get(), OSSL_PKEY_PARAM_RSA_N), ",",
                        Member("e", key_.get(), OSSL_PKEY_PARAM_RSA_E), KidMember(kid), "}");
  }
  return absl::StrCat("{\"kty\":\"EC\",\"crv\":\"P-256\",",
                      Member("x", key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32), ",",
                      Member("y", key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32), KidMember(kid), "}");
}

std::string TestKey::PrivateJwk(const std::string& kid) const {
  std::string pub = PublicJwk(kid);
  pub.pop_back();  // the closing brace
  const char* d = alg_ == JwsAlg::kRs256 ? OSSL_PKEY_PARAM_RSA_D : OSSL_PKEY_PARAM_PRIV_KEY;
  return absl::StrCat(pub, ",", Member("d", key_.get(), d), "}");
}

std::string TestKey::PublicPem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  Check(bio != nullptr && PEM_write_bio_PUBKEY(bio, key_.get()) == 1, "PEM_write_bio_PUBKEY");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);  // NOLINT(google-runtime-int)
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

std::string TestKey::Sign(absl::string_view header_json, absl::string_view payload_json) const {
  const std::string input =
      absl::StrCat(Base64UrlEncode(header_json), ".", Base64UrlEncode(payload_json));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  Check(ctx != nullptr &&
            EVP_DigestSignInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr, key_.get(), nullptr) ==
                1 &&
            EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                           input.size()) == 1,
        "sign init");
  std::string sig(len, '\0');
  Check(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1,
        "sign");
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  if (alg_ == JwsAlg::kEs256) {  // DER ECDSA-Sig-Value -> r||s
    const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));  // NOLINT
    Check(es != nullptr, "d2i_ECDSA_SIG");
    std::string raw(64, '\0');
    auto* out = reinterpret_cast<unsigned char*>(raw.data());
    Check(BN_bn2binpad(ECDSA_SIG_get0_r(es), out, 32) == 32 &&
              BN_bn2binpad(ECDSA_SIG_get0_s(es), out + 32, 32) == 32,
          "r||s");
    ECDSA_SIG_free(es);
    sig = std::move(raw);
  }
  return absl::StrCat(input, ".", Base64UrlEncode(sig));
}

const TestKey& SharedRsaKey() {
  static const TestKey* key = new TestKey(TestKey::Rsa());
  return *key;
}

std::string JwksJson(const std::vector<std::string>& jwks) {
  return absl::StrCat("{\"keys\":[", absl::StrJoin(jwks, ","), "]}");
}

std::string SignHs256(absl::string_view header_json, absl::string_view payload_json,
                      absl::string_view secret) {
  const std::string input =
      absl::StrCat(Base64UrlEncode(header_json), ".", Base64UrlEncode(payload_json));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  Check(HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
             reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
             &len) != nullptr,
        "HMAC");
  return absl::StrCat(input, ".",
                      Base64UrlEncode(absl::string_view(reinterpret_cast<char*>(mac), len)));
}

}  // namespace idgen::auth::testing
