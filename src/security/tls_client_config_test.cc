// Copyright idgen authors.
#include "src/security/tls_client_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "src/security/testing/test_certs.h"
#include "src/testing/temp_dir.h"

namespace idgen::security {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

class TlsClientConfigTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    return testing::WritePrivateFile(dir_.path(), name, text);
  }
  idgen::testing::TempDir dir_{"idgen-tls-client-test-"};
  testing::TestCert ca_ = testing::MakeCert("ca", kNow + absl::Hours(48));
  testing::TestCert client_ = testing::MakeCert("gateway", kNow + absl::Hours(24), &ca_);
};

TEST_F(TlsClientConfigTest, DisabledUnlessACaIsGiven) {
  EXPECT_TRUE(CheckTlsClientConfig({}, kNow, "--backend-tls-").ok());
  TlsClientConfig c;
  c.cert_file = "/x.pem";
  EXPECT_THAT(CheckTlsClientConfig(c, kNow, "--backend-tls-").message(),
              HasSubstr("need --backend-tls-ca"));
}

TEST_F(TlsClientConfigTest, ServerVerificationOnlyOrWithAClientCertificate) {
  TlsClientConfig c;
  c.ca_file = Write("ca.pem", ca_.cert_pem);
  EXPECT_TRUE(CheckTlsClientConfig(c, kNow, "--backend-tls-").ok());
  c.cert_file = Write("client.pem", client_.cert_pem);
  c.key_file = Write("client.key", client_.key_pem);
  EXPECT_TRUE(CheckTlsClientConfig(c, kNow, "--backend-tls-").ok());
}

TEST_F(TlsClientConfigTest, MessagesNameTheClientFlags) {
  TlsClientConfig c;
  c.ca_file = Write("ca.pem", ca_.cert_pem);
  c.cert_file = Write("client.pem", client_.cert_pem);
  EXPECT_THAT(CheckTlsClientConfig(c, kNow, "--backend-tls-").message(),
              HasSubstr("--backend-tls-cert and --backend-tls-key go together"));
  c.key_file = Write("other.key", testing::MakeCert("x", kNow + absl::Hours(1)).key_pem);
  absl::Status s = CheckTlsClientConfig(c, kNow, "--backend-tls-");
  EXPECT_THAT(s.message(), HasSubstr("--backend-tls-key \""));
  EXPECT_THAT(s.message(), HasSubstr("does not belong"));
  c = TlsClientConfig{};
  c.ca_file = Write("junk.pem", "junk");
  EXPECT_THAT(CheckTlsClientConfig(c, kNow, "--backend-tls-").message(),
              HasSubstr("--backend-tls-ca \""));
}

}  // namespace
}  // namespace idgen::security
