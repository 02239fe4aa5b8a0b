// Copyright idgen authors.
#include "src/auth/jwt_verifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "src/auth/base64url.h"
#include "src/auth/testing/jwt_signer.h"

namespace idgen::auth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::JwksJson;
using testing::SignHs256;
using testing::TestKey;

constexpr int64_t kNow = 1'800'000'000;
constexpr char kIssuer[] = "https://id.example";
constexpr char kAudience[] = "idgen";

// Claims valid at kNow, with `extra` members (a leading comma each).
std::string Claims(const std::string& extra = "", int64_t exp = kNow + 3600) {
  return absl::StrCat(R"({"iss":"https://id.example","aud":"idgen","sub":"svc-a","exp":)", exp,
                      R"(,"scope":"ids:generate info")", extra, "}");
}

class JwtVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = *Jwks::Parse(JwksJson({ec_->PublicJwk("e1")}));
    verifier_ = *JwtVerifier::Create(
        {.issuer = kIssuer, .audience = kAudience}, [this] { return keys_; }, &clock_);
  }
  // The RSA key (slow to make: once per process, by the first test that
  // needs it), added to the JWKS as "r1".
  const TestKey& WithRsa() {
    const TestKey& rsa = testing::SharedRsaKey();
    keys_ = *Jwks::Parse(JwksJson({rsa.PublicJwk("r1"), ec_->PublicJwk("e1")}));
    return rsa;
  }
  std::string Refusal(const std::string& token) {
    absl::StatusOr<std::shared_ptr<const VerifiedJwt>> v = verifier_->Verify(token);
    EXPECT_FALSE(v.ok()) << "accepted " << (v.ok() ? (*v)->subject : "");
    if (v.ok()) return "";
    EXPECT_EQ(v.status().code(), absl::StatusCode::kUnauthenticated);
    return std::string(v.status().message());
  }
  std::string Es(const std::string& claims) {
    return ec_->Sign(R"({"alg":"ES256","kid":"e1","typ":"JWT"})", claims);
  }

  TestKey ec_key_ = TestKey::P256();
  const TestKey* ec_ = &ec_key_;
  FakeClock clock_{absl::FromUnixSeconds(kNow)};
  std::shared_ptr<const Jwks> keys_;
  std::unique_ptr<JwtVerifier> verifier_;
};

TEST_F(JwtVerifierTest, AcceptsValidRs256TokenAndRefusesItTampered) {
  const TestKey& rsa = WithRsa();
  const std::string token =
      rsa.Sign(R"({"alg":"RS256","kid":"r1"})", Claims(R"(,"namespaces":["orders"])"));
  std::string tampered = token;
  tampered[token.find('.') + 5] ^= 1;  // a bit of the payload
  EXPECT_THAT(Refusal(tampered), HasSubstr("signature does not verify (RS256)"));
  auto v = verifier_->Verify(token);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)->subject, "svc-a");
  EXPECT_THAT((*v)->scopes, ElementsAre("ids:generate", "info"));
  EXPECT_THAT((*v)->namespaces, ElementsAre("orders"));
  EXPECT_EQ((*v)->expires, absl::FromUnixSeconds(kNow + 3600));
}

TEST_F(JwtVerifierTest, AcceptsValidEs256TokenWithAudienceArrayAndNoNamespaces) {
  auto v = verifier_->Verify(ec_->Sign(
      R"({"alg":"ES256","kid":"e1"})",
      absl::StrCat(R"({"iss":"https://id.example","aud":["other","idgen"],"sub":"b","exp":)",
                   kNow + 60, "}")));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE((*v)->scopes.empty());
  EXPECT_THAT((*v)->namespaces, ElementsAre("*"));
}

TEST_F(JwtVerifierTest, UsesTheOnlyKeyOfTheAlgorithmWhenThereIsNoKid) {
  EXPECT_TRUE(verifier_->Verify(ec_->Sign(R"({"alg":"ES256"})", Claims())).ok());
}

TEST_F(JwtVerifierTest, RefusesExpiredTokenPastTheLeeway) {
  const std::string token = Es(Claims("", kNow - 61));
  EXPECT_THAT(Refusal(token), HasSubstr("token expired 61 s ago"));
  // Within the 60 s leeway it still passes.
  EXPECT_TRUE(verifier_->Verify(Es(Claims("", kNow - 59))).ok());
}

TEST_F(JwtVerifierTest, RefusesTokenWithoutExp) {
  const std::string claims = R"({"iss":"https://id.example","aud":"idgen","sub":"a"})";
  EXPECT_THAT(Refusal(Es(claims)), HasSubstr("no exp"));
  EXPECT_THAT(Refusal(Es(Claims(R"(,"nbf":"soon")"))), HasSubstr("nbf is not a number"));
}

TEST_F(JwtVerifierTest, RefusesNbfInTheFuturePastTheLeeway) {
  EXPECT_THAT(Refusal(Es(Claims(absl::StrCat(",\"nbf\":", kNow + 120)))),
              HasSubstr("not valid for another 120 s"));
  EXPECT_TRUE(verifier_->Verify(Es(Claims(absl::StrCat(",\"nbf\":", kNow + 30)))).ok());
}

TEST_F(JwtVerifierTest, RefusesWrongIssuer) {
  const std::string claims = absl::StrCat(
      R"({"iss":"https://evil.example","aud":"idgen","sub":"a","exp":)", kNow + 60, "}");
  EXPECT_THAT(Refusal(Es(claims)), HasSubstr("iss is not the configured issuer"));
}

TEST_F(JwtVerifierTest, RefusesWrongAudience) {
  for (const char* aud : {R"("other")", R"(["a","b"])", "42", R"([])"}) {
    const std::string claims = absl::StrCat(R"({"iss":"https://id.example","aud":)", aud,
                                            R"(,"sub":"a","exp":)", kNow + 60, "}");
    EXPECT_THAT(Refusal(Es(claims)), HasSubstr("aud does not name the configured audience")) << aud;
  }
}

TEST_F(JwtVerifierTest, RefusesAlgNone) {
  const std::string token =
      absl::StrCat(Base64UrlEncode(R"({"alg":"none"})"), ".", Base64UrlEncode(Claims()), ".");
  EXPECT_THAT(Refusal(token), HasSubstr("alg none is not accepted"));
  // With a signature part that is not empty too.
  EXPECT_THAT(Refusal(token + "AAAA"), HasSubstr("alg none is not accepted"));
}

TEST_F(JwtVerifierTest, RefusesHs256SignedWithThePublicKey) {
  // The confusion attack: an HMAC keyed with bytes every client can see.
  const TestKey& rsa = WithRsa();
  for (const std::string& secret : {rsa.PublicPem(), rsa.PublicJwk("r1"), ec_->PublicPem()}) {
    const std::string token = SignHs256(R"({"alg":"HS256","kid":"r1"})", Claims(), secret);
    EXPECT_THAT(Refusal(token), HasSubstr("alg HS256 is not accepted (RS256 and ES256 only)"));
  }
}

TEST_F(JwtVerifierTest, RefusesUnknownKid) {
  EXPECT_THAT(Refusal(ec_->Sign(R"({"alg":"ES256","kid":"zz"})", Claims())),
              HasSubstr("no key in the JWKS has the token's kid"));
  // A kid that names a key of the other algorithm.
  EXPECT_THAT(Refusal(ec_->Sign(R"({"alg":"RS256","kid":"e1"})", Claims())),
              HasSubstr("names a ES256 key"));
}

TEST_F(JwtVerifierTest, RefusesTamperedPayload) {
  const std::string token = Es(Claims());
  const size_t dot1 = token.find('.');
  const size_t dot2 = token.find('.', dot1 + 1);
  const std::string forged = absl::StrCat(
      token.substr(0, dot1 + 1),
      Base64UrlEncode(Claims(R"(,"namespaces":["*"])").replace(0, 1, R"({"admin":true,)")),
      token.substr(dot2));
  EXPECT_THAT(Refusal(forged), HasSubstr("signature does not verify (ES256)"));
  // One flipped bit of an ES256 signature.
  std::string es = ec_->Sign(R"({"alg":"ES256","kid":"e1"})", Claims());
  es[es.size() - 3] = es[es.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_THAT(Refusal(es), HasSubstr("signature does not verify (ES256)"));
}

TEST_F(JwtVerifierTest, RefusesSignatureOfTheWrongKey) {
  const TestKey other = TestKey::P256();
  EXPECT_THAT(Refusal(other.Sign(R"({"alg":"ES256","kid":"e1"})", Claims())),
              HasSubstr("signature does not verify"));
}

TEST_F(JwtVerifierTest, RefusesBadBase64AndBadShape) {
  const std::string token = Es(Claims());
  EXPECT_THAT(Refusal("=" + token), HasSubstr("header is not base64url"));
  EXPECT_THAT(Refusal(token + "="), HasSubstr("signature is not base64url"));
  std::string plus = token;
  plus[token.find('.') + 3] = '+';
  EXPECT_THAT(Refusal(plus), HasSubstr("signature does not verify"));  // payload not looked at
  EXPECT_THAT(Refusal("a.b"), HasSubstr("three parts"));
  EXPECT_THAT(Refusal(token + ".x"), HasSubstr("three parts"));
  EXPECT_THAT(Refusal(""), HasSubstr("three parts"));
  EXPECT_THAT(Refusal(absl::StrCat(Base64UrlEncode("[1]"), ".e30.AAAA")),
              HasSubstr("header is not a JSON object"));
  EXPECT_THAT(Refusal(Es("not json")), HasSubstr("payload is not a JSON object"));
}

TEST_F(JwtVerifierTest, RefusesOversizeToken) {
  const std::string token = Es(Claims(absl::StrCat(",\"pad\":\"", std::string(9000, 'x'), "\"")));
  EXPECT_THAT(Refusal(token), HasSubstr("at most 8192 accepted"));
}

TEST_F(JwtVerifierTest, RefusesCritAndBadSubject) {
  EXPECT_THAT(Refusal(ec_->Sign(R"({"alg":"ES256","kid":"e1","crit":["exp"]})", Claims())),
              HasSubstr("crit"));
  const std::string no_sub =
      absl::StrCat(R"({"iss":"https://id.example","aud":"idgen","exp":)", kNow + 60, "}");
  EXPECT_THAT(Refusal(Es(no_sub)), HasSubstr("no sub"));
  const std::string ctl = absl::StrCat(
      R"({"iss":"https://id.example","aud":"idgen","sub":"a\nb","exp":)", kNow + 60, "}");
  EXPECT_THAT(Refusal(Es(ctl)), HasSubstr("control characters"));
  EXPECT_THAT(Refusal(Es(Claims(R"(,"namespaces":"orders")"))), HasSubstr("namespaces"));
  // Found by jwt_fuzz: an empty list was taken, a principal with no namespace.
  EXPECT_THAT(Refusal(Es(Claims(R"(,"namespaces":[])"))), HasSubstr("namespaces is empty"));
}

TEST_F(JwtVerifierTest, RefusalsNeverHoldTheToken) {
  const std::string token = Es(Claims("", kNow - 600));
  const std::string why = Refusal(token);
  EXPECT_EQ(why.find(token.substr(token.rfind('.') + 1, 16)), std::string::npos);
  EXPECT_EQ(why.find(token.substr(0, 16)), std::string::npos);
}

TEST_F(JwtVerifierTest, CachesAVerifiedTokenUntilItExpires) {
  const std::string token = Es(Claims("", kNow + 10));
  auto first = verifier_->Verify(token);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(verifier_->cached(), 1u);
  auto second = verifier_->Verify(token);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);                  // the same claims object: no second verification
  clock_.Advance(absl::Seconds(10 + 60 + 1));  // past exp + leeway
  EXPECT_THAT(Refusal(token), HasSubstr("token expired 61 s ago"));
  EXPECT_EQ(verifier_->cached(), 0u);
}

TEST_F(JwtVerifierTest, KeySetChangeEmptiesTheCache) {
  const std::string token = Es(Claims());
  ASSERT_TRUE(verifier_->Verify(token).ok());
  keys_ = *Jwks::Parse(JwksJson({TestKey::P256().PublicJwk("e2")}));  // e1 taken out
  EXPECT_THAT(Refusal(token), HasSubstr("no key in the JWKS has the token's kid"));
}

TEST_F(JwtVerifierTest, CacheStaysWithinItsBound) {
  verifier_ = *JwtVerifier::Create(
      {.issuer = kIssuer, .audience = kAudience, .cache_entries = 4}, [this] { return keys_; },
      &clock_);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(verifier_->Verify(Es(Claims(absl::StrCat(",\"jti\":", i)))).ok());
    EXPECT_LE(verifier_->cached(), 4u);
  }
  EXPECT_GE(verifier_->cached(), 1u);
}

TEST_F(JwtVerifierTest, CreateRefusesEmptyIssuerOrAudience) {
  auto keys = [this] { return keys_; };
  EXPECT_FALSE(JwtVerifier::Create({.issuer = "", .audience = kAudience}, keys, &clock_).ok());
  EXPECT_FALSE(JwtVerifier::Create({.issuer = kIssuer, .audience = ""}, keys, &clock_).ok());
}

}  // namespace
}  // namespace idgen::auth
