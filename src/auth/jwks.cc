// Copyright idgen authors.
#include "src/auth/jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include <set>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/auth/base64url.h"
#include "src/config/json_fields.h"

namespace idgen::auth {
namespace {

using config::Json;

constexpr int kMinRsaBits = 2048;  // RFC 7518 §3.3
constexpr int kMaxRsaBits = 8192;  // bounds the work one token can cost
constexpr size_t kMaxJwksBytes = 1024 * 1024;

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, ParamFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

// OpenSSL's reason for the last failure, with the error queue emptied.
std::string OpenSslError() {
  const unsigned long code = ERR_peek_last_error();  // NOLINT(google-runtime-int)
  ERR_clear_error();
  const char* reason = code == 0 ? nullptr : ERR_reason_error_string(code);
  return reason != nullptr ? reason : "rejected by OpenSSL";
}

// The string member `key` of `jwk`, base64url-decoded.
absl::StatusOr<std::string> GetBytes(const Json& jwk, const std::string& path, const char* key) {
  const std::string where = config::Child(path, key);
  auto it = jwk.find(key);
  if (it == jwk.end()) return config::KeyError(where, "missing");
  if (!it->is_string()) return config::KeyError(where, "must be a base64url string");
  std::optional<std::string> bytes = Base64UrlDecode(it->get_ref<const std::string&>());
  if (!bytes.has_value() || bytes->empty()) {
    return config::KeyError(where, "not base64url without padding (RFC 7515 §2)");
  }
  return *std::move(bytes);
}

// Builds a public EVP_PKEY of `type` ("RSA", "EC") from `params`, checked
// by OpenSSL (RSA: odd modulus and exponent; EC: the point is on the curve).
absl::StatusOr<std::shared_ptr<EVP_PKEY>> FromData(const char* type, OSSL_PARAM* params,
                                                   const std::string& path) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return config::KeyError(path, absl::StrCat("not a valid ", type, " key: ", OpenSslError()));
  }
  std::shared_ptr<EVP_PKEY> key(raw, PkeyFree());
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    return config::KeyError(path, absl::StrCat("not a valid ", type, " key: ", OpenSslError()));
  }
  return key;
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> RsaKey(const Json& jwk, const std::string& path) {
  absl::StatusOr<std::string> n = GetBytes(jwk, path, "n");
  if (!n.ok()) return n.status();
  absl::StatusOr<std::string> e = GetBytes(jwk, path, "e");
  if (!e.ok()) return e.status();
  BnPtr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                       static_cast<int>(n->size()), nullptr));
  BnPtr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                       static_cast<int>(e->size()), nullptr));
  if (bn_n == nullptr || bn_e == nullptr) return absl::ResourceExhaustedError("out of memory");
  const int bits = BN_num_bits(bn_n.get());
  if (bits < kMinRsaBits || bits > kMaxRsaBits) {
    return config::KeyError(config::Child(path, "n"),
                            absl::StrCat("RSA modulus of ", bits, " bits; ", kMinRsaBits, " to ",
                                         kMaxRsaBits, " accepted"));
  }
  // 3 and 65537 are what every issuer uses; more than 64 bits is no RSA
  // public exponent anyone makes.
  if (BN_num_bits(bn_e.get()) > 64 || !BN_is_odd(bn_e.get()) || BN_is_one(bn_e.get())) {
    return config::KeyError(config::Child(path, "e"), "not a usable RSA public exponent");
  }
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return absl::ResourceExhaustedError("out of memory");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (params == nullptr) return absl::ResourceExhaustedError("out of memory");
  return FromData("RSA", params.get(), path);
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> EcKey(const Json& jwk, const std::string& path) {
  auto crv = jwk.find("crv");
  if (crv == jwk.end()) return config::KeyError(config::Child(path, "crv"), "missing");
  if (!crv->is_string() || *crv != "P-256") {
    return config::KeyError(config::Child(path, "crv"),
                            "unsupported curve (P-256, for ES256, only)");
  }
  absl::StatusOr<std::string> x = GetBytes(jwk, path, "x");
  if (!x.ok()) return x.status();
  absl::StatusOr<std::string> y = GetBytes(jwk, path, "y");
  if (!y.ok()) return y.status();
  if (x->size() != 32) return config::KeyError(config::Child(path, "x"), "must be 32 bytes");
  if (y->size() != 32) return config::KeyError(config::Child(path, "y"), "must be 32 bytes");
  // SEC 1 uncompressed point: 0x04 || x || y.
  const std::string point = absl::StrCat("\x04", *x, *y);
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return absl::ResourceExhaustedError("out of memory");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (params == nullptr) return absl::ResourceExhaustedError("out of memory");
  return FromData("EC", params.get(), path);
}

// An optional string member: its value, "" when absent, an error when not a
// string.
absl::StatusOr<std::string> OptionalString(const Json& jwk, const std::string& path,
                                           const char* key) {
  auto it = jwk.find(key);
  if (it == jwk.end()) return std::string();
  if (!it->is_string()) return config::KeyError(config::Child(path, key), "must be a string");
  return it->get<std::string>();
}

absl::StatusOr<Jwk> ParseKey(const Json& jwk, const std::string& path) {
  if (!jwk.is_object()) return config::KeyError(path, "must be an object (a JWK)");
  for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    if (jwk.contains(secret)) {
      return config::KeyError(path, absl::StrCat("holds private key material (\"", secret,
                                                 "\"); the JWKS file must hold public keys only"));
    }
  }
  Jwk out;
  absl::StatusOr<std::string> kty = OptionalString(jwk, path, "kty");
  if (!kty.ok()) return kty.status();
  absl::StatusOr<std::shared_ptr<EVP_PKEY>> key;
  if (*kty == "RSA") {
    out.alg = JwsAlg::kRs256;
    key = RsaKey(jwk, path);
  } else if (*kty == "EC") {
    out.alg = JwsAlg::kEs256;
    key = EcKey(jwk, path);
  } else {
    return config::KeyError(
        config::Child(path, "kty"),
        kty->empty() ? std::string("missing") : "unsupported key type (RSA and EC P-256 only)");
  }
  if (!key.ok()) return key.status();
  out.key = *std::move(key);

  absl::StatusOr<std::string> alg = OptionalString(jwk, path, "alg");
  if (!alg.ok()) return alg.status();
  if (!alg->empty() && *alg != JwsAlgName(out.alg)) {
    return config::KeyError(config::Child(path, "alg"),
                            absl::StrCat("must be ", JwsAlgName(out.alg), " for a ", *kty,
                                         " key (RS256 and ES256 only)"));
  }
  absl::StatusOr<std::string> use = OptionalString(jwk, path, "use");
  if (!use.ok()) return use.status();
  if (!use->empty() && *use != "sig") {
    return config::KeyError(config::Child(path, "use"), "must be \"sig\" (signature keys only)");
  }
  if (auto ops = jwk.find("key_ops"); ops != jwk.end()) {
    bool verify = false;
    if (ops->is_array()) {
      for (const Json& op : *ops) verify = verify || (op.is_string() && op == "verify");
    }
    if (!verify) {
      return config::KeyError(config::Child(path, "key_ops"),
                              "must be an array that lists \"verify\"");
    }
  }
  absl::StatusOr<std::string> kid = OptionalString(jwk, path, "kid");
  if (!kid.ok()) return kid.status();
  out.kid = *std::move(kid);
  return out;
}

}  // namespace

absl::string_view JwsAlgName(JwsAlg alg) {
  switch (alg) {
    case JwsAlg::kRs256:
      return "RS256";
    case JwsAlg::kEs256:
      return "ES256";
  }
  return "?";
}

absl::StatusOr<std::shared_ptr<const Jwks>> Jwks::Parse(absl::string_view json) {
  absl::StatusOr<Json> doc = config::ParseJson(std::string(json));
  if (!doc.ok()) return doc.status();
  if (!doc->is_object())
    return absl::InvalidArgumentError("must be a JSON object {\"keys\": [...]}");
  auto keys = doc->find("keys");
  if (keys == doc->end()) return config::KeyError("keys", "missing");
  if (!keys->is_array() || keys->empty()) {
    return config::KeyError("keys", "must be a non-empty array of keys");
  }
  if (keys->size() > kMaxKeys) {
    return config::KeyError("keys", absl::StrCat(keys->size(), " keys; at most ", kMaxKeys));
  }
  auto set = std::make_shared<Jwks>();
  std::set<std::string> kids;
  for (size_t i = 0; i < keys->size(); ++i) {
    const std::string path = absl::StrCat("keys[", i, "]");
    absl::StatusOr<Jwk> key = ParseKey((*keys)[i], path);
    if (!key.ok()) return key.status();
    if (!key->kid.empty() && !kids.insert(key->kid).second) {
      return config::KeyError(config::Child(path, "kid"), "given to two keys");
    }
    set->keys_.push_back(*std::move(key));
  }
  return set;
}

absl::StatusOr<std::shared_ptr<const Jwks>> Jwks::ReadFile(const std::string& path) {
  absl::StatusOr<std::string> text = config::ReadTextFile(path, kMaxJwksBytes);
  if (!text.ok()) return text.status();  // names the file already
  absl::StatusOr<std::shared_ptr<const Jwks>> set = Parse(*text);
  if (!set.ok()) {
    return absl::Status(set.status().code(),
                        absl::StrCat("JWKS file ", path, ": ", set.status().message()));
  }
  return set;
}

absl::StatusOr<const Jwk*> Jwks::Select(JwsAlg alg, bool has_kid, absl::string_view kid) const {
  if (has_kid) {
    for (const Jwk& key : keys_) {
      if (key.kid != kid) continue;
      if (key.alg != alg) {
        return absl::UnauthenticatedError(absl::StrCat(
            "the token's kid names a ", JwsAlgName(key.alg), " key, not ", JwsAlgName(alg)));
      }
      return &key;
    }
    return absl::UnauthenticatedError("no key in the JWKS has the token's kid");
  }
  const Jwk* only = nullptr;
  for (const Jwk& key : keys_) {
    if (key.alg != alg) continue;
    if (only != nullptr) {
      return absl::UnauthenticatedError(absl::StrCat(
          "the token has no kid and the JWKS holds several ", JwsAlgName(alg), " keys"));
    }
    only = &key;
  }
  if (only == nullptr) {
    return absl::UnauthenticatedError(absl::StrCat("the JWKS holds no ", JwsAlgName(alg), " key"));
  }
  return only;
}

}  // namespace idgen::auth
