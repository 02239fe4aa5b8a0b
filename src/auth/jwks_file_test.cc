// Copyright idgen authors.
#include "src/auth/jwks_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "src/auth/testing/jwt_signer.h"
#include "src/testing/temp_dir.h"

namespace idgen::auth {
namespace {

using ::testing::HasSubstr;
using testing::JwksJson;
using ::testing::Not;
using testing::TestKey;

class JwksFileTest : public ::testing::Test {
 protected:
  // Written aside and renamed into place, as an operator should.
  void Install(const std::string& text) {
    std::ofstream(dir_.path() + "/new.json") << text;
    std::filesystem::rename(dir_.path() + "/new.json", path_);
  }
  std::unique_ptr<JwksFile> Make() {
    absl::StatusOr<std::unique_ptr<JwksFile>> f =
        OpenJwksFile(path_, &clock_, absl::Seconds(1),
                     [this](const std::string& m, bool) { log_.push_back(m); });
    EXPECT_TRUE(f.ok()) << f.status();
    return f.ok() ? *std::move(f) : nullptr;
  }

  idgen::testing::TempDir dir_{"jwks_file_test"};
  std::string path_ = dir_.path() + "/jwks.json";
  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  std::vector<std::string> log_;
  TestKey ec_ = TestKey::P256();
};

TEST_F(JwksFileTest, CreateFailsNamingTheFileAndTheKey) {
  Install(R"({"keys":[{"kty":"oct"}]})");
  absl::StatusOr<std::unique_ptr<JwksFile>> f = OpenJwksFile(path_, &clock_);
  ASSERT_FALSE(f.ok());
  EXPECT_THAT(std::string(f.status().message()),
              HasSubstr("JWKS file " + path_ + ": keys[0].kty: unsupported key type"));
}

TEST_F(JwksFileTest, PollTakesAChangedFileOncePerInterval) {
  Install(JwksJson({ec_.PublicJwk("a")}));
  std::unique_ptr<JwksFile> f = Make();
  ASSERT_NE(f, nullptr);
  const std::shared_ptr<const Jwks> first = f->Current();
  Install(JwksJson({ec_.PublicJwk("b")}));
  f->Poll();  // inside the interval: not looked at
  EXPECT_EQ(f->Current(), first);
  clock_.Advance(absl::Seconds(1));
  f->Poll();
  EXPECT_NE(f->Current(), first);
  EXPECT_EQ(f->Current()->keys()[0].kid, "b");
  EXPECT_EQ(f->reload_successes(), 1);
}

TEST_F(JwksFileTest, BrokenFileKeepsTheOldKeysAndLogsOnce) {
  Install(JwksJson({ec_.PublicJwk("a")}));
  std::unique_ptr<JwksFile> f = Make();
  ASSERT_NE(f, nullptr);
  Install(JwksJson({ec_.PrivateJwk("a")}));
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(absl::Seconds(1));
    f->Poll();
  }
  EXPECT_EQ(f->Current()->keys()[0].kid, "a");
  EXPECT_EQ(f->reload_failures(), 1);
  ASSERT_EQ(log_.size(), 1u);
  EXPECT_THAT(log_[0], HasSubstr("keys[0]: holds private key material"));
  EXPECT_THAT(log_[0], HasSubstr("still using the 1 key(s)"));
  // No key bytes in the log: not the private exponent, not the public point.
  const std::string d = ec_.PrivateJwk("a").substr(ec_.PublicJwk("a").size() - 1);
  EXPECT_THAT(log_[0], Not(HasSubstr(d.substr(6, 20))));
}

TEST_F(JwksFileTest, ReloadNowReadsEvenAnUnchangedFile) {
  Install(JwksJson({ec_.PublicJwk("a")}));
  std::unique_ptr<JwksFile> f = Make();
  ASSERT_NE(f, nullptr);
  const std::shared_ptr<const Jwks> first = f->Current();
  f->ReloadNow();
  EXPECT_NE(f->Current(), first);
  EXPECT_EQ(f->reload_successes(), 1);
}

}  // namespace
}  // namespace idgen::auth
