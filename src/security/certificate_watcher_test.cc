// Copyright idgen authors.
#include "src/security/certificate_watcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "src/security/testing/test_certs.h"
#include "src/testing/temp_dir.h"

namespace idgen::security {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class CertificateWatcherTest : public ::testing::Test {
 protected:
  // Written aside and renamed into place, as an operator should.
  void Install(const testing::TestCert& cert) {
    std::ofstream(dir_.path() + "/new.pem") << cert.cert_pem;
    testing::WritePrivateFile(dir_.path(), "new.key", cert.key_pem);
    std::filesystem::rename(dir_.path() + "/new.pem", config_.cert_file);
    std::filesystem::rename(dir_.path() + "/new.key", config_.key_file);
  }
  std::unique_ptr<CertificateWatcher> Make() {
    absl::StatusOr<std::unique_ptr<CertificateWatcher>> w = CertificateWatcher::Create(
        config_, {"grpc"}, &clock_, [this](const std::string& m, bool error) {
          if (error)
            errors_.push_back(m);
          else
            infos_.push_back(m);
        });
    EXPECT_TRUE(w.ok()) << w.status();
    return w.ok() ? *std::move(w) : nullptr;
  }

  idgen::testing::TempDir dir_{"idgen-cert-watcher-"};
  FakeClock clock_{absl::Now()};
  testing::TestCert ca_ = testing::MakeCert("ca", absl::Now() + absl::Hours(48));
  testing::TestCert one_ = testing::MakeCert("one", absl::Now() + absl::Hours(24), &ca_);
  testing::TestCert two_ = testing::MakeCert("two", absl::Now() + absl::Hours(24), &ca_);
  TlsServerConfig config_{.cert_file = dir_.path() + "/server.pem",
                          .key_file = dir_.path() + "/server.key",
                          .reload_interval = absl::Seconds(5)};
  std::vector<std::string> errors_;
  std::vector<std::string> infos_;
};

TEST_F(CertificateWatcherTest, TakesARenewalAtTheNextPollAfterTheInterval) {
  Install(one_);
  std::unique_ptr<CertificateWatcher> w = Make();
  std::vector<std::string> seen;
  w->OnChange([&](const std::shared_ptr<const CertificateSet>& s) { seen.push_back(s->cert_pem); });
  Install(two_);
  clock_.Advance(absl::Seconds(4));
  w->Poll();
  EXPECT_EQ(w->Current()->cert_pem, one_.cert_pem);
  clock_.Advance(absl::Seconds(1));
  w->Poll();
  EXPECT_EQ(w->Current()->cert_pem, two_.cert_pem);
  EXPECT_EQ(w->Current()->key_pem, two_.key_pem);
  EXPECT_EQ(seen, std::vector<std::string>{two_.cert_pem});
  EXPECT_EQ(w->reload_successes(), 1);
  // Unchanged files: nothing published, nothing counted.
  clock_.Advance(absl::Seconds(5));
  w->Poll();
  EXPECT_EQ(w->generation(), 1u);
  EXPECT_TRUE(errors_.empty());
  ASSERT_EQ(infos_.size(), 1u);
  EXPECT_THAT(infos_[0], HasSubstr("TLS certificate reloaded for the grpc listener: serial"));
}

TEST_F(CertificateWatcherTest, AKeyThatDoesNotLoadKeepsTheServedSetAndIsCountedAndLoggedOnce) {
  Install(one_);
  std::unique_ptr<CertificateWatcher> w = Make();
  const std::string garbage = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n";
  testing::WritePrivateFile(dir_.path(), "new.key", garbage);
  std::filesystem::rename(dir_.path() + "/new.key", config_.key_file);
  clock_.Advance(absl::Seconds(5));
  w->Poll();
  clock_.Advance(absl::Seconds(5));
  w->Poll();  // the same broken files: not counted twice
  EXPECT_EQ(w->Current()->cert_pem, one_.cert_pem);
  EXPECT_EQ(w->reload_failures(), 1);
  EXPECT_EQ(w->reload_successes(), 0);
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_THAT(errors_[0], HasSubstr(config_.key_file));
  EXPECT_THAT(errors_[0], HasSubstr("still serving the certificate with serial"));
  EXPECT_THAT(errors_[0], Not(HasSubstr("c2VjcmV0")));
  // A key that parses but belongs to another certificate: refused too.
  testing::WritePrivateFile(dir_.path(), "new.key", two_.key_pem);
  std::filesystem::rename(dir_.path() + "/new.key", config_.key_file);
  clock_.Advance(absl::Seconds(5));
  w->Poll();
  EXPECT_EQ(w->reload_failures(), 2);
  EXPECT_THAT(errors_.back(), HasSubstr("does not belong to the certificate"));
  EXPECT_EQ(w->Current()->key_pem, one_.key_pem);
  // Fixed: taken.
  Install(two_);
  clock_.Advance(absl::Seconds(5));
  w->Poll();
  EXPECT_EQ(w->Current()->cert_pem, two_.cert_pem);
}

TEST_F(CertificateWatcherTest, AMissingOrExpiredCertificateKeepsTheServedSet) {
  Install(one_);
  std::unique_ptr<CertificateWatcher> w = Make();
  std::filesystem::remove(config_.cert_file);
  clock_.Advance(absl::Seconds(5));
  w->Poll();
  EXPECT_EQ(w->reload_failures(), 1);
  EXPECT_THAT(errors_.back(), HasSubstr("cannot be read"));
  Install(testing::MakeCert("old", absl::Now() + absl::Minutes(1), &ca_));
  clock_.Advance(absl::Minutes(2));  // wall time moves too: expired by now
  w->Poll();
  EXPECT_EQ(w->reload_failures(), 2);
  EXPECT_THAT(errors_.back(), HasSubstr("expired"));
  EXPECT_EQ(w->Current()->cert_pem, one_.cert_pem);
}

TEST_F(CertificateWatcherTest, ReloadNowDoesNotWaitForTheInterval) {
  Install(one_);
  config_.reload_interval = absl::Hours(1);
  std::unique_ptr<CertificateWatcher> w = Make();
  Install(two_);
  w->Poll();
  EXPECT_EQ(w->Current()->cert_pem, one_.cert_pem);
  w->ReloadNow();
  EXPECT_EQ(w->Current()->cert_pem, two_.cert_pem);
  EXPECT_EQ(w->reload_successes(), 1);
}

TEST_F(CertificateWatcherTest, CreateNamesTheFileThatDoesNotLoad) {
  absl::StatusOr<std::unique_ptr<CertificateWatcher>> w =
      CertificateWatcher::Create(config_, {"grpc"}, &clock_);
  ASSERT_FALSE(w.ok());
  EXPECT_THAT(w.status().message(), HasSubstr("--tls-cert"));
  EXPECT_THAT(w.status().message(), HasSubstr(config_.cert_file));
}

}  // namespace
}  // namespace idgen::security
