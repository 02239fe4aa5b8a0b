// Copyright idgen authors.
#include "src/auth/jwt_token_verifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "src/auth/authenticator.h"
#include "src/auth/testing/jwt_signer.h"
#include "src/testing/temp_dir.h"

namespace idgen::auth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class JwtTokenVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override { std::ofstream(path_) << testing::JwksJson({key_.PublicJwk("k1")}); }
  std::string Token(const std::string& extra) {
    return key_.Sign(
        R"({"alg":"ES256","kid":"k1"})",
        absl::StrCat(R"({"iss":"https://id.example","aud":"idgen","sub":"svc-a",)", R"("exp":)",
                     absl::ToUnixSeconds(clock_.WallNow()) + 60, extra, "}"));
  }
  idgen::testing::TempDir dir_{"jwt_token_verifier_test"};
  std::string path_ = dir_.path() + "/jwks.json";
  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  testing::TestKey key_ = testing::TestKey::P256();
  JwtSettings settings_{.jwks_file = path_, .issuer = "https://id.example", .audience = "idgen"};
};

TEST_F(JwtTokenVerifierTest, TurnsAVerifiedTokenIntoAPrincipal) {
  auto v = JwtTokenVerifier::Create(settings_, &clock_);
  ASSERT_TRUE(v.ok()) << v.status();
  absl::StatusOr<Principal> p =
      (*v)->Verify(Token(R"(,"scope":"ids:generate info","namespaces":["orders"])"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->name, "jwt:svc-a");
  EXPECT_THAT(p->scopes, ElementsAre("ids:generate", "info"));
  EXPECT_THAT(p->namespaces, ElementsAre("orders"));
  EXPECT_FALSE(p->anonymous);
  EXPECT_EQ(p->ids_per_second, 0);
  EXPECT_TRUE(p->Check(kScopeGenerate, "orders").ok());
  EXPECT_EQ(p->Check(kScopeGenerate, "billing").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(p->CheckScope(kScopeDecode).code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(JwtTokenVerifierTest, EachSubjectGetsTheConfiguredQuota) {
  settings_.ids_per_second = 50;
  auto v = JwtTokenVerifier::Create(settings_, &clock_);
  ASSERT_TRUE(v.ok()) << v.status();
  absl::StatusOr<Principal> p = (*v)->Verify(Token(R"(,"scope":"ids:generate")"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->ids_per_second, 50);
  EXPECT_EQ(p->burst, 50) << "one second's worth by default";
  settings_.burst = 7;
  auto with_burst = JwtTokenVerifier::Create(settings_, &clock_);
  ASSERT_TRUE(with_burst.ok());
  EXPECT_EQ((*with_burst)->Verify(Token(R"(,"scope":"ids:generate")"))->burst, 7);
}

TEST_F(JwtTokenVerifierTest, CreateNamesABrokenJwksFile) {
  std::ofstream(path_) << R"({"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]})";
  auto v = JwtTokenVerifier::Create(settings_, &clock_);
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(std::string(v.status().message()),
              HasSubstr("JWKS file " + path_ + ": keys[0].n: RSA modulus of"));
}

TEST_F(JwtTokenVerifierTest, AuthenticatorHandsJwtsToIt) {
  auto authenticator = Authenticator::Create({});
  ASSERT_TRUE(authenticator.ok()) << authenticator.status();
  auto v = JwtTokenVerifier::Create(settings_, &clock_);
  ASSERT_TRUE(v.ok()) << v.status();
  (*authenticator)->SetTokenVerifier(std::shared_ptr<TokenVerifier>(*std::move(v)));
  EXPECT_FALSE((*authenticator)->open());
  const std::string good = absl::StrCat("Bearer ", Token(R"(,"scope":"info")"));
  auto p = (*authenticator)->Authenticate({.authorization = good});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->name, "jwt:svc-a");
  const std::string expired = absl::StrCat(
      "Bearer ", key_.Sign(R"({"alg":"ES256"})",
                           R"({"iss":"https://id.example","aud":"idgen","sub":"a","exp":1})"));
  auto refused = (*authenticator)->Authenticate({.authorization = expired});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(FailureOf(refused.status()), AuthFailure::kInvalid);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("expired"));
}

}  // namespace
}  // namespace idgen::auth
