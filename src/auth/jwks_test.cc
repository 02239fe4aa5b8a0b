// Copyright idgen authors.
#include "src/auth/jwks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "src/auth/testing/jwt_signer.h"

namespace idgen::auth {
namespace {

using ::testing::HasSubstr;
using testing::JwksJson;
using testing::TestKey;

class JwksTest : public ::testing::Test {
 protected:
  // Made once per process, by the first test that needs it (slow to make).
  static const TestKey& rsa() { return testing::SharedRsaKey(); }
  std::string ParseError(const std::string& json) {
    absl::StatusOr<std::shared_ptr<const Jwks>> set = Jwks::Parse(json);
    EXPECT_FALSE(set.ok());
    return set.ok() ? "" : std::string(set.status().message());
  }
  // `jwk` (an object's text) with `extra` members added.
  std::string With(std::string jwk, const std::string& extra) {
    jwk.pop_back();
    return jwk + "," + extra + "}";
  }
  TestKey ec_key_ = TestKey::P256();
  const TestKey* ec_ = &ec_key_;
};

TEST_F(JwksTest, ReadsRsaAndP256Keys) {
  absl::StatusOr<std::shared_ptr<const Jwks>> set = Jwks::Parse(
      JwksJson({With(rsa().PublicJwk("r1"), R"("alg":"RS256","use":"sig","x5t":"ignored")"),
                With(ec_->PublicJwk("e1"), R"("alg":"ES256","key_ops":["verify"])")}));
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ((*set)->keys().size(), 2u);
  EXPECT_EQ((*set)->keys()[0].kid, "r1");
  EXPECT_EQ((*set)->keys()[0].alg, JwsAlg::kRs256);
  EXPECT_EQ((*set)->keys()[1].alg, JwsAlg::kEs256);
}

TEST_F(JwksTest, SelectsByKidOrTheOnlyKeyOfTheAlgorithm) {
  auto set = *Jwks::Parse(JwksJson({rsa().PublicJwk("r1"), ec_->PublicJwk("e1")}));
  EXPECT_EQ((*set->Select(JwsAlg::kEs256, true, "e1"))->kid, "e1");
  EXPECT_EQ((*set->Select(JwsAlg::kRs256, false, ""))->kid, "r1");
  EXPECT_THAT(std::string(set->Select(JwsAlg::kRs256, true, "e1").status().message()),
              HasSubstr("ES256 key, not RS256"));
  EXPECT_THAT(std::string(set->Select(JwsAlg::kRs256, true, "zz").status().message()),
              HasSubstr("no key in the JWKS has the token's kid"));
  auto two = *Jwks::Parse(JwksJson({rsa().PublicJwk("a"), rsa().PublicJwk("b")}));
  EXPECT_THAT(std::string(two->Select(JwsAlg::kRs256, false, "").status().message()),
              HasSubstr("several RS256 keys"));
  EXPECT_THAT(std::string(two->Select(JwsAlg::kEs256, false, "").status().message()),
              HasSubstr("no ES256 key"));
}

TEST_F(JwksTest, RefusesOtherKeyTypesCurvesAndAlgorithms) {
  EXPECT_THAT(ParseError(JwksJson({R"({"kty":"oct","k":"c2VjcmV0"})"})),
              HasSubstr("keys[0]: holds private key material"));
  EXPECT_THAT(ParseError(JwksJson({R"({"kty":"OKP","crv":"Ed25519","x":"AAAA"})"})),
              HasSubstr("keys[0].kty: unsupported key type"));
  EXPECT_THAT(ParseError(JwksJson({R"({"kty":"EC","crv":"P-384","x":"AAAA","y":"AAAA"})"})),
              HasSubstr("keys[0].crv: unsupported curve"));
  EXPECT_THAT(
      ParseError(JwksJson({rsa().PublicJwk(""), With(rsa().PublicJwk(""), R"("alg":"RS512")")})),
      HasSubstr("keys[1].alg: must be RS256"));
  EXPECT_THAT(ParseError(JwksJson({With(ec_->PublicJwk(""), R"("use":"enc")")})),
              HasSubstr("keys[0].use"));
  EXPECT_THAT(ParseError(JwksJson({With(ec_->PublicJwk(""), R"("key_ops":["sign"])")})),
              HasSubstr("keys[0].key_ops"));
}

TEST_F(JwksTest, RefusesPrivateKeys) {
  EXPECT_THAT(ParseError(JwksJson({rsa().PrivateJwk("r")})),
              HasSubstr("keys[0]: holds private key material (\"d\")"));
  EXPECT_THAT(ParseError(JwksJson({ec_->PrivateJwk("e")})), HasSubstr("public keys only"));
}

TEST_F(JwksTest, RefusesShortRsaModulusAndPointsOffTheCurve) {
  const TestKey small = TestKey::Rsa(1024);
  EXPECT_THAT(ParseError(JwksJson({small.PublicJwk("s")})),
              HasSubstr("keys[0].n: RSA modulus of 1024 bits"));
  // x of one key with y of another is (almost surely) not on the curve.
  const TestKey other = TestKey::P256();
  std::string a = ec_->PublicJwk("");
  const std::string b = other.PublicJwk("");
  const size_t ya = a.find("\"y\":");
  const size_t yb = b.find("\"y\":");
  a = a.substr(0, ya) + b.substr(yb);
  EXPECT_THAT(ParseError(JwksJson({a})), HasSubstr("keys[0]: not a valid EC key"));
  EXPECT_THAT(ParseError(JwksJson({R"({"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"})"})),
              HasSubstr("keys[0].x: must be 32 bytes"));
}

TEST_F(JwksTest, RefusesBrokenDocuments) {
  EXPECT_THAT(ParseError("not json"), HasSubstr("not valid JSON"));
  EXPECT_THAT(ParseError("[]"), HasSubstr("must be a JSON object"));
  EXPECT_THAT(ParseError("{}"), HasSubstr("keys: missing"));
  EXPECT_THAT(ParseError(R"({"keys":[]})"), HasSubstr("keys: must be a non-empty array"));
  EXPECT_THAT(ParseError(JwksJson({"42"})), HasSubstr("keys[0]: must be an object"));
  EXPECT_THAT(ParseError(JwksJson({R"({"kty":"RSA","n":"AQAB=","e":"AQAB"})"})),
              HasSubstr("keys[0].n: not base64url"));
  EXPECT_THAT(ParseError(JwksJson({R"({"kty":"RSA","e":"AQAB"})"})),
              HasSubstr("keys[0].n: missing"));
  EXPECT_THAT(ParseError(JwksJson({TestKey::P256().PublicJwk("same"), ec_->PublicJwk("same")})),
              HasSubstr("keys[1].kid: given to two keys"));
}

TEST_F(JwksTest, ReadFileNamesTheFile) {
  absl::StatusOr<std::shared_ptr<const Jwks>> set = Jwks::ReadFile("/nonexistent/jwks.json");
  ASSERT_FALSE(set.ok());
  EXPECT_THAT(std::string(set.status().message()), HasSubstr("/nonexistent/jwks.json"));
}

}  // namespace
}  // namespace idgen::auth
