// Copyright idgen authors.
#include "src/security/grpc_tls.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "src/security/testing/test_certs.h"
#include "src/testing/temp_dir.h"

namespace idgen::security {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(GrpcTlsStageTest, PublishesEachSetWholeIntoAPrivateDirectoryAndRemovesIt) {
  idgen::testing::TempDir dir("idgen-grpc-stage-");
  FakeClock clock(absl::Now());
  const testing::TestCert ca = testing::MakeCert("ca", absl::Now() + absl::Hours(48));
  const testing::TestCert one = testing::MakeCert("one", absl::Now() + absl::Hours(24), &ca);
  const testing::TestCert two = testing::MakeCert("two", absl::Now() + absl::Hours(24), &ca);
  TlsServerConfig config{
      .cert_file = dir.path() + "/server.pem",
      .key_file = testing::WritePrivateFile(dir.path(), "server.key", one.key_pem),
      .client_ca_file = dir.path() + "/ca.pem",
      .client_auth = ClientAuth::kRequire};
  std::ofstream(config.cert_file) << one.cert_pem;
  std::ofstream(config.client_ca_file) << ca.cert_pem;
  std::unique_ptr<CertificateWatcher> watcher =
      *CertificateWatcher::Create(config, {"grpc"}, &clock);
  std::string staged;
  {
    std::unique_ptr<GrpcTlsStage> stage = *GrpcTlsStage::Create(watcher.get());
    staged = stage->dir();
    struct stat st {};
    ASSERT_EQ(::stat(staged.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    EXPECT_EQ(Read(staged + "/current/cert.pem"), one.cert_pem);
    EXPECT_EQ(Read(staged + "/current/key.pem"), one.key_pem);
    EXPECT_NE(Read(staged + "/current/ca.pem").find(ca.cert_pem), std::string::npos);
    EXPECT_NE(stage->Credentials(), nullptr);

    for (const testing::TestCert* next : {&two, &one, &two}) {
      std::ofstream(config.cert_file, std::ios::trunc) << next->cert_pem;
      std::ofstream(config.key_file, std::ios::trunc) << next->key_pem;
      watcher->ReloadNow();
      EXPECT_EQ(Read(staged + "/current/cert.pem"), next->cert_pem);
      EXPECT_EQ(Read(staged + "/current/key.pem"), next->key_pem);
    }
    // The current set and the one before it; older ones are gone.
    EXPECT_EQ(std::filesystem::read_symlink(staged + "/current").string(), "gen-3");
    EXPECT_TRUE(std::filesystem::exists(staged + "/gen-2"));
    EXPECT_FALSE(std::filesystem::exists(staged + "/gen-1"));
    watcher.reset();  // the stage must outlive the watcher's reloads
  }
  EXPECT_FALSE(std::filesystem::exists(staged));
}

}  // namespace
}  // namespace idgen::security
