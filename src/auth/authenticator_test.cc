// Copyright idgen authors.
#include "src/auth/authenticator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "src/testing/temp_dir.h"

namespace idgen::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

void Write(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << text;
  ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0);
}

std::string KeysJson(const std::string& name, const std::string& key) {
  return absl::StrCat(R"({"keys": [{"name": ")", name, R"(", "sha256": ")", HexSha256(key),
                      R"(", "scopes": ["ids:generate"]},
      {"name": "gw", "tls_identity": "gateway.internal", "scopes": ["info"]}]})");
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() + "/keys.json";
    Write(path_, KeysJson("orders", "secret-1"));
    AuthenticatorOptions opts;
    opts.key_file = path_;
    opts.log = [this](const std::string& m, bool) { logs_.push_back(m); };
    auto a = Authenticator::Create(opts);
    ASSERT_TRUE(a.ok()) << a.status();
    auth_ = *std::move(a);
  }
  absl::StatusOr<Principal> WithHeader(const std::string& header) {
    absl::StatusOr<std::shared_ptr<const Principal>> p =
        auth_->Authenticate(Credentials{header, nullptr});
    if (!p.ok()) return p.status();
    return **p;
  }

  testing::TempDir dir_{"idgen-auth-test-"};
  std::string path_;
  std::vector<std::string> logs_;
  std::unique_ptr<Authenticator> auth_;
};

TEST_F(AuthenticatorTest, ValidKeyIsItsEntry) {
  auto p = WithHeader("Bearer secret-1");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->name, "orders");
  EXPECT_FALSE(auth_->open());
}

TEST_F(AuthenticatorTest, MissingAndInvalidAreTellable) {
  auto missing = WithHeader("");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(FailureOf(missing.status()), AuthFailure::kMissing);
  auto wrong = WithHeader("Bearer secret-2");
  EXPECT_EQ(FailureOf(wrong.status()), AuthFailure::kInvalid);
  EXPECT_THAT(std::string(wrong.status().message()), Not(HasSubstr("secret-2")));
  auto basic = WithHeader("Basic b3JkZXJzOnNlY3JldA==");
  EXPECT_EQ(FailureOf(basic.status()), AuthFailure::kInvalid);
  EXPECT_EQ(FailureOf(absl::PermissionDeniedError("x")), AuthFailure::kNone);
  const Authenticator::Counts c = auth_->counts();
  EXPECT_EQ(c.missing, 1u);
  EXPECT_EQ(c.invalid, 2u);
}

TEST_F(AuthenticatorTest, CertificateIdentityNamesAnEntry) {
  const std::vector<std::string> ids = {"gateway.internal"};
  auto p = auth_->Authenticate(Credentials{"", &ids});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->name, "gw");
  const std::vector<std::string> others = {"someone.else"};
  EXPECT_EQ(FailureOf(auth_->Authenticate(Credentials{"", &others}).status()),
            AuthFailure::kMissing);
}

TEST_F(AuthenticatorTest, ReloadsAChangedFileAndKeepsTheOldOnAFailure) {
  Write(path_, KeysJson("billing", "secret-3"));
  auth_->Poll();
  EXPECT_FALSE(WithHeader("Bearer secret-1").ok());
  auto p = WithHeader("Bearer secret-3");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->name, "billing");

  Write(path_, R"({"keys": [{"name": "x"}]})");
  auth_->ReloadNow();
  EXPECT_TRUE(WithHeader("Bearer secret-3").ok());
  EXPECT_EQ(auth_->counts().reload_failures, 1u);
  ASSERT_FALSE(logs_.empty());
  EXPECT_THAT(logs_.back(), HasSubstr("keeping the keys in use"));
  for (const std::string& line : logs_) {
    EXPECT_THAT(line, Not(HasSubstr("secret-")));
  }
}

TEST_F(AuthenticatorTest, AKeysPrincipalOutlivesAReloadThatDropsIt) {
  absl::StatusOr<std::shared_ptr<const Principal>> before =
      auth_->Authenticate(Credentials{"Bearer secret-1", nullptr});
  ASSERT_TRUE(before.ok()) << before.status();
  const Principal* const shared = before->get();
  EXPECT_EQ(auth_->Authenticate(Credentials{"Bearer secret-1", nullptr})->get(), shared)
      << "a key's principal is the loaded file's, not a copy per call";
  Write(path_, KeysJson("billing", "secret-3"));
  auth_->ReloadNow();
  EXPECT_FALSE(WithHeader("Bearer secret-1").ok());
  EXPECT_EQ((*before)->name, "orders") << "a request in flight keeps its caller";
  EXPECT_EQ((*before)->scopes, std::vector<std::string>{"ids:generate"});
}

TEST_F(AuthenticatorTest, PollWithoutAChangeReadsNothing) {
  const size_t before = logs_.size();
  auth_->Poll();
  EXPECT_EQ(logs_.size(), before);
}

class FakeVerifier final : public TokenVerifier {
 public:
  absl::StatusOr<Principal> Verify(absl::string_view token) override {
    ++calls;
    if (token != "h.p.s") return absl::UnauthenticatedError("the token's signature is wrong");
    Principal p;
    p.name = "jwt-user";
    return p;
  }
  int calls = 0;
};

TEST_F(AuthenticatorTest, TokensWithTwoDotsGoToTheVerifier) {
  auto verifier = std::make_shared<FakeVerifier>();
  auth_->SetTokenVerifier(verifier);
  auto p = WithHeader("Bearer h.p.s");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->name, "jwt-user");
  auto bad = WithHeader("Bearer h.p.x");
  EXPECT_EQ(FailureOf(bad.status()), AuthFailure::kInvalid);
  EXPECT_TRUE(WithHeader("Bearer secret-1").ok());  // API keys still work
  EXPECT_EQ(verifier->calls, 2);
}

TEST(AuthenticatorOpenTest, WithoutKeysEveryoneIsAnonymous) {
  auto a = Authenticator::Create({});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE((*a)->open());
  auto p = (*a)->Authenticate(Credentials{"Bearer whatever", nullptr});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE((*p)->anonymous);
}

TEST(AuthenticatorOpenTest, BrokenFileAtStartNamesTheFlag) {
  testing::TempDir dir("idgen-auth-test-");
  const std::string path = dir.path() + "/keys.json";
  Write(path, "{");
  AuthenticatorOptions opts;
  opts.key_file = path;
  auto a = Authenticator::Create(opts);
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(std::string(a.status().message()), HasSubstr("--auth-keys: key file " + path));
}

}  // namespace
}  // namespace idgen::auth
