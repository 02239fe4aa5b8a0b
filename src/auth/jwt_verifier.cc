// Copyright idgen authors.
#include "src/auth/jwt_verifier.h"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/auth/base64url.h"

namespace idgen::auth {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxSubjectBytes = 256;
constexpr double kMaxNumericDate = 1e12;  // about year 33658; beyond is "never"

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};

absl::Status Refuse(absl::string_view why) { return absl::UnauthenticatedError(why); }

// A base64url part of the token holding a JSON object. Strict JSON: no
// comments; a duplicate member keeps its last value (RFC 7515 §5.2).
absl::StatusOr<Json> DecodeObject(absl::string_view part, absl::string_view what) {
  std::optional<std::string> bytes = Base64UrlDecode(part);
  if (!bytes.has_value()) {
    return Refuse(absl::StrCat("token ", what, " is not base64url without padding"));
  }
  Json doc = Json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return Refuse(absl::StrCat("token ", what, " is not a JSON object"));
  return doc;
}

absl::StatusOr<JwsAlg> AllowedAlg(const Json& header) {
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) return Refuse("token header has no alg");
  const std::string& name = alg->get_ref<const std::string&>();
  if (name == "RS256") return JwsAlg::kRs256;
  if (name == "ES256") return JwsAlg::kEs256;
  // The name is the caller's: quote it only when it is short and plain.
  const bool plain =
      name.size() <= 16 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      });
  return Refuse(absl::StrCat("token alg ", plain ? name : "(unprintable)",
                             " is not accepted (RS256 and ES256 only)"));
}

// JWS ES256 signatures are r||s, 32 bytes each (RFC 7518 §3.4); OpenSSL
// verifies the DER form of ECDSA-Sig-Value.
std::optional<std::string> EcdsaRawToDer(absl::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(ECDSA_SIG_new());
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(bytes, 32, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + 32, 32, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return std::nullopt;
  std::string der(static_cast<size_t>(len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != len) return std::nullopt;
  return der;
}

bool SignatureVerifies(const Jwk& key, absl::string_view signing_input,
                       absl::string_view signature) {
  std::string der;
  if (key.alg == JwsAlg::kEs256) {
    std::optional<std::string> converted = EcdsaRawToDer(signature);
    if (!converted.has_value()) return false;
    der = *std::move(converted);
    signature = der;
  } else if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(key.key.get()))) {
    return false;  // RSASSA-PKCS1-v1_5: exactly the modulus' length
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  const bool ok =
      ctx != nullptr &&
      EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key.key.get(),
                              nullptr) == 1 &&
      EVP_DigestVerify(
          ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
          reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  ERR_clear_error();  // a failed verification leaves a reason we do not need
  return ok;
}

// A NumericDate claim (RFC 7519 §2): nullopt when absent.
absl::StatusOr<std::optional<absl::Time>> NumericDate(const Json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::optional<absl::Time>();
  if (!it->is_number()) return Refuse(absl::StrCat("token claim ", name, " is not a number"));
  const double seconds = it->get<double>();
  if (!std::isfinite(seconds) || seconds > kMaxNumericDate) return {absl::InfiniteFuture()};
  if (seconds < -kMaxNumericDate) return {absl::InfinitePast()};
  return {absl::FromUnixMicros(static_cast<int64_t>(seconds * 1e6))};
}

absl::StatusOr<std::string> Subject(const Json& claims) {
  auto sub = claims.find("sub");
  if (sub == claims.end() || !sub->is_string() || sub->get_ref<const std::string&>().empty()) {
    return Refuse("token has no sub (subject) claim");
  }
  const std::string& name = sub->get_ref<const std::string&>();
  if (name.size() > kMaxSubjectBytes) {
    return Refuse(absl::StrCat("token sub is longer than ", kMaxSubjectBytes, " bytes"));
  }
  // The name reaches logs and metric labels: no control characters.
  if (std::any_of(name.begin(), name.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return Refuse("token sub holds control characters");
  }
  return name;
}

bool AudienceHolds(const Json& aud, const std::string& audience) {
  if (aud.is_string()) return aud == audience;
  if (!aud.is_array()) return false;
  return std::any_of(aud.begin(), aud.end(),
                     [&](const Json& a) { return a.is_string() && a == audience; });
}

std::string Ago(absl::Duration d) { return absl::StrCat(absl::ToInt64Seconds(d), " s"); }

}  // namespace

JwtVerifier::JwtVerifier(JwtOptions options, KeySource keys, Clock* clock)
    : options_(std::move(options)), keys_(std::move(keys)), clock_(clock) {}

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Create(JwtOptions options, KeySource keys,
                                                                 Clock* clock) {
  if (options.issuer.empty()) return absl::InvalidArgumentError("the JWT issuer is empty");
  if (options.audience.empty()) return absl::InvalidArgumentError("the JWT audience is empty");
  if (options.leeway < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the JWT leeway is negative");
  }
  if (keys == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError("a JWT verifier needs a key source and a clock");
  }
  return std::unique_ptr<JwtVerifier>(new JwtVerifier(std::move(options), std::move(keys), clock));
}

size_t JwtVerifier::cached() const {
  MutexLock lock(&mu_);
  return cache_.size();
}

absl::StatusOr<std::shared_ptr<const VerifiedJwt>> JwtVerifier::Verify(absl::string_view token) {
  if (token.size() > kMaxTokenBytes) {
    return Refuse(
        absl::StrCat("token of ", token.size(), " bytes; at most ", kMaxTokenBytes, " accepted"));
  }
  std::shared_ptr<const Jwks> keys = keys_();
  const absl::Time now = clock_->WallNow();
  {
    MutexLock lock(&mu_);
    if (cached_keys_ != keys) {  // a reload: nothing verified before counts
      cache_.clear();
      cache_bytes_ = 0;
      cached_keys_ = keys;
    }
    if (auto it = cache_.find(token); it != cache_.end()) {
      if (now <= it->second.valid_until && now >= it->second.valid_from) return it->second.claims;
      cache_bytes_ -= it->first.size();
      cache_.erase(it);  // and check it again, to say why it fails
    }
  }
  absl::StatusOr<Verified> verified = VerifyUncached(token, *keys, now);
  if (!verified.ok()) return verified.status();
  MutexLock lock(&mu_);
  if (cached_keys_ == keys) Remember(token, *verified);
  return verified->claims;
}

bool JwtVerifier::CacheFull(size_t size) const {
  return cache_.size() >= options_.cache_entries || cache_bytes_ + size > options_.cache_bytes;
}

template <typename Drop>
void JwtVerifier::EraseCacheIf(Drop drop) {
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (drop(*it)) {
      cache_bytes_ -= it->first.size();
      cache_.erase(it++);
    } else {
      ++it;
    }
  }
}

void JwtVerifier::Remember(absl::string_view token, const Verified& verified) {
  if (CacheFull(token.size())) {
    const absl::Time now = clock_->WallNow();
    EraseCacheIf([now](const auto& entry) { return entry.second.valid_until < now; });
  }
  if (CacheFull(token.size())) {
    // Still full of live tokens: drop every other one (no order is kept, so
    // which ones is arbitrary; they verify again on their next use).
    bool drop = false;
    EraseCacheIf([&drop](const auto&) {
      drop = !drop;
      return drop;
    });
  }
  if (CacheFull(token.size())) return;  // a cache too small for even this one token
  cache_bytes_ += token.size();
  cache_.emplace(std::string(token), verified);
}

absl::StatusOr<JwtVerifier::Verified> JwtVerifier::VerifyUncached(absl::string_view token,
                                                                  const Jwks& keys,
                                                                  absl::Time now) const {
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == absl::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == absl::string_view::npos || token.find('.', dot2 + 1) != absl::string_view::npos) {
    return Refuse("token is not a JWS in compact form (three parts separated by dots)");
  }
  const absl::string_view header_part = token.substr(0, dot1);
  const absl::string_view payload_part = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const absl::string_view signature_part = token.substr(dot2 + 1);

  absl::StatusOr<Json> header = DecodeObject(header_part, "header");
  if (!header.ok()) return header.status();
  absl::StatusOr<JwsAlg> alg = AllowedAlg(*header);
  if (!alg.ok()) return alg.status();
  if (header->contains("crit")) return Refuse("token header has crit (no extension is accepted)");
  auto kid = header->find("kid");
  if (kid != header->end() && !kid->is_string()) return Refuse("token kid is not a string");
  absl::StatusOr<const Jwk*> key = keys.Select(
      *alg, kid != header->end(), kid != header->end() ? kid->get_ref<const std::string&>() : "");
  if (!key.ok()) return key.status();

  std::optional<std::string> signature = Base64UrlDecode(signature_part);
  if (!signature.has_value() || signature->empty()) {
    return Refuse("token signature is not base64url without padding");
  }
  if (!SignatureVerifies(**key, token.substr(0, dot2), *signature)) {
    return Refuse(absl::StrCat("token signature does not verify (", JwsAlgName(*alg), ")"));
  }

  // Only now, with the signature good, is the payload looked at.
  absl::StatusOr<Json> claims = DecodeObject(payload_part, "payload");
  if (!claims.ok()) return claims.status();
  absl::StatusOr<std::optional<absl::Time>> exp = NumericDate(*claims, "exp");
  if (!exp.ok()) return exp.status();
  if (!exp->has_value()) return Refuse("token has no exp (expiry) claim");
  if (now > **exp + options_.leeway) {
    return Refuse(absl::StrCat("token expired ", Ago(now - **exp), " ago"));
  }
  absl::StatusOr<std::optional<absl::Time>> nbf = NumericDate(*claims, "nbf");
  if (!nbf.ok()) return nbf.status();
  if (nbf->has_value() && now < **nbf - options_.leeway) {
    return Refuse(absl::StrCat("token is not valid for another ", Ago(**nbf - now), " (nbf)"));
  }
  auto iss = claims->find("iss");
  if (iss == claims->end() || !iss->is_string() || *iss != options_.issuer) {
    return Refuse("token iss is not the configured issuer");
  }
  auto aud = claims->find("aud");
  if (aud == claims->end() || !AudienceHolds(*aud, options_.audience)) {
    return Refuse("token aud does not name the configured audience");
  }
  absl::StatusOr<std::string> subject = Subject(*claims);
  if (!subject.ok()) return subject.status();

  auto out = std::make_shared<VerifiedJwt>();
  out->subject = *std::move(subject);
  out->expires = **exp;
  if (auto scope = claims->find("scope"); scope != claims->end()) {
    if (!scope->is_string()) return Refuse("token scope is not a string");
    for (absl::string_view s :
         absl::StrSplit(scope->get_ref<const std::string&>(), ' ', absl::SkipEmpty())) {
      out->scopes.emplace_back(s);
    }
  }
  if (auto ns = claims->find("namespaces"); ns != claims->end()) {
    if (!ns->is_array()) return Refuse("token namespaces is not an array of strings");
    for (const Json& n : *ns) {
      if (!n.is_string() || n.get_ref<const std::string&>().empty()) {
        return Refuse("token namespaces is not an array of strings");
      }
      out->namespaces.push_back(n.get<std::string>());
    }
    if (out->namespaces.empty()) {
      return Refuse(
          "token namespaces is empty (it would grant no namespace; leave it out for all)");
    }
  } else {
    out->namespaces.emplace_back("*");
  }
  Verified verified;
  verified.claims = std::move(out);
  verified.valid_until = **exp + options_.leeway;
  verified.valid_from = nbf->has_value() ? **nbf - options_.leeway : absl::InfinitePast();
  return verified;
}

}  // namespace idgen::auth
