// Copyright idgen authors.
#include "src/http/tls_context.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "src/security/testing/test_certs.h"
#include "src/testing/temp_dir.h"

namespace idgen::http {
namespace {

using security::testing::MakeCert;
using security::testing::TestCert;
using ::testing::HasSubstr;

class TlsContextSourceTest : public ::testing::Test {
 protected:
  void WritePair(const TestCert& cert) {
    // Written aside and renamed into place, as an operator should.
    std::ofstream(dir_.path() + "/new.pem") << cert.cert_pem;
    security::testing::WritePrivateFile(dir_.path(), "new.key", cert.key_pem);
    std::filesystem::rename(dir_.path() + "/new.pem", config_.cert_file);
    std::filesystem::rename(dir_.path() + "/new.key", config_.key_file);
  }
  absl::StatusOr<std::shared_ptr<TlsContextSource>> MakeSource() {
    absl::StatusOr<std::unique_ptr<security::CertificateWatcher>> w =
        security::CertificateWatcher::Create(config_, {"http"}, &clock_,
                                             [](const std::string&, bool) {});
    if (!w.ok()) return w.status();
    watcher_ = *std::move(w);
    return TlsContextSource::Create(watcher_);
  }
  X509* Served(const std::shared_ptr<boost::asio::ssl::context>& ctx) {
    return SSL_CTX_get0_certificate(ctx->native_handle());
  }

  idgen::testing::TempDir dir_{"idgen-tls-context-"};
  std::shared_ptr<security::CertificateWatcher> watcher_;
  FakeClock clock_{absl::Now()};
  TestCert ca_ = MakeCert("ca", absl::Now() + absl::Hours(48));
  security::TlsServerConfig config_{.cert_file = dir_.path() + "/server.pem",
                                    .key_file = dir_.path() + "/server.key",
                                    .client_ca_file = "",
                                    .client_auth = security::ClientAuth::kNone,
                                    .reload_interval = absl::Seconds(10)};
};

TEST_F(TlsContextSourceTest, ServesTheFilesAndFollowsARenewalAfterTheInterval) {
  WritePair(MakeCert("one", absl::Now() + absl::Hours(24), &ca_));
  absl::StatusOr<std::shared_ptr<TlsContextSource>> source = MakeSource();
  ASSERT_TRUE(source.ok()) << source.status();
  std::shared_ptr<boost::asio::ssl::context> first = (*source)->Current();
  WritePair(MakeCert("two", absl::Now() + absl::Hours(24), &ca_));
  // Not before the interval: the files are not even looked at.
  clock_.Advance(absl::Seconds(9));
  EXPECT_EQ((*source)->Current(), first);
  clock_.Advance(absl::Seconds(1));
  std::shared_ptr<boost::asio::ssl::context> second = (*source)->Current();
  EXPECT_NE(second, first);
  EXPECT_NE(X509_cmp(Served(first), Served(second)), 0);
  EXPECT_EQ(watcher_->reload_successes(), 1);
  // Unchanged files: the same context.
  clock_.Advance(absl::Seconds(10));
  EXPECT_EQ((*source)->Current(), second);
}

TEST_F(TlsContextSourceTest, AHalfWrittenRenewalKeepsTheLastGoodContext) {
  WritePair(MakeCert("one", absl::Now() + absl::Hours(24), &ca_));
  std::shared_ptr<TlsContextSource> source = *MakeSource();
  std::shared_ptr<boost::asio::ssl::context> first = source->Current();
  // A new certificate whose key has not been written yet.
  std::ofstream(config_.cert_file, std::ios::trunc)
      << MakeCert("two", absl::Now() + absl::Hours(24), &ca_).cert_pem;
  clock_.Advance(absl::Seconds(10));
  EXPECT_EQ(source->Current(), first);
  EXPECT_EQ(watcher_->reload_successes(), 0);
}

TEST_F(TlsContextSourceTest, CreateNamesAFileThatDoesNotLoad) {
  absl::StatusOr<std::shared_ptr<TlsContextSource>> source = MakeSource();
  ASSERT_FALSE(source.ok());
  EXPECT_THAT(source.status().message(), HasSubstr("--tls-cert"));
}

}  // namespace
}  // namespace idgen::http
