// Copyright idgen authors.
#include "src/security/tls_server_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "src/security/testing/test_certs.h"
#include "src/testing/temp_dir.h"

namespace idgen::security {
namespace {

using ::testing::HasSubstr;
using testing::MakeCert;
using testing::TestCert;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

class TlsServerConfigTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    return testing::WritePrivateFile(dir_.path(), name, text);
  }
  // A CA and a server certificate it signed, valid until kNow + 1 day.
  TlsServerConfig Valid() {
    TlsServerConfig c;
    c.cert_file = Write("server.pem", server_.cert_pem);
    c.key_file = Write("server.key", server_.key_pem);
    c.client_ca_file = Write("ca.pem", ca_.cert_pem);
    c.client_auth = ClientAuth::kRequire;
    return c;
  }

  idgen::testing::TempDir dir_{"idgen-tls-test-"};
  TestCert ca_ = MakeCert("idgen test CA", kNow + absl::Hours(48));
  TestCert server_ = MakeCert("node-1", kNow + absl::Hours(24), &ca_);
};

TEST_F(TlsServerConfigTest, AcceptsAMatchingPairAndCa) {
  EXPECT_TRUE(CheckTlsServerConfig(Valid(), kNow).ok());
  TlsServerConfig plain = Valid();
  plain.client_ca_file.clear();
  plain.client_auth = ClientAuth::kNone;
  EXPECT_TRUE(CheckTlsServerConfig(plain, kNow).ok());
}

TEST_F(TlsServerConfigTest, DisabledIsFineButAKeyWithoutCertIsNot) {
  EXPECT_TRUE(CheckTlsServerConfig(TlsServerConfig{}, kNow).ok());
  TlsServerConfig c;
  c.key_file = "/x.key";
  EXPECT_THAT(CheckTlsServerConfig(c, kNow).message(), HasSubstr("need --tls-cert"));
}

TEST_F(TlsServerConfigTest, RefusesAKeyOfAnotherCertificate) {
  TlsServerConfig c = Valid();
  c.key_file = Write("other.key", MakeCert("other", kNow + absl::Hours(1)).key_pem);
  absl::Status s = CheckTlsServerConfig(c, kNow);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("does not belong to the certificate"));
}

TEST_F(TlsServerConfigTest, RefusesAnExpiredCertificate) {
  EXPECT_THAT(CheckTlsServerConfig(Valid(), kNow + absl::Hours(25)).message(),
              HasSubstr("expired at"));
}

TEST_F(TlsServerConfigTest, NamesTheFileThatIsMissingOrNotPem) {
  TlsServerConfig c = Valid();
  c.cert_file = dir_.path() + "/nope.pem";
  EXPECT_THAT(CheckTlsServerConfig(c, kNow).message(),
              HasSubstr("--tls-cert \"" + c.cert_file + "\": cannot be read"));
  c = Valid();
  c.client_ca_file = Write("junk.pem", "not a certificate\n");
  EXPECT_THAT(CheckTlsServerConfig(c, kNow).message(), HasSubstr("--tls-client-ca"));
  c = Valid();
  c.key_file = Write("junk.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  EXPECT_THAT(CheckTlsServerConfig(c, kNow).message(), HasSubstr("no unencrypted PEM private key"));
}

TEST_F(TlsServerConfigTest, ClientAuthNeedsAClientCa) {
  TlsServerConfig c = Valid();
  c.client_ca_file.clear();
  EXPECT_THAT(CheckTlsServerConfig(c, kNow).message(),
              HasSubstr("--tls-client-auth require needs --tls-client-ca"));
  c.client_auth = ClientAuth::kRequest;
  EXPECT_FALSE(CheckTlsServerConfig(c, kNow).ok());
}

TEST_F(TlsServerConfigTest, ReportsTheCertificateExpiry) {
  absl::StatusOr<absl::Time> t = CertificateNotAfter(Valid().cert_file);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, kNow + absl::Hours(24));
}

TEST(ClientAuthTest, ParsesTheThreeNamesOnly) {
  EXPECT_EQ(*ParseClientAuth("none"), ClientAuth::kNone);
  EXPECT_EQ(*ParseClientAuth("request"), ClientAuth::kRequest);
  EXPECT_EQ(*ParseClientAuth("require"), ClientAuth::kRequire);
  EXPECT_THAT(ParseClientAuth("yes").status().message(),
              HasSubstr("expected none, request or require"));
  EXPECT_EQ(ClientAuthName(ClientAuth::kRequest), "request");
}

}  // namespace
}  // namespace idgen::security

namespace idgen::security {
namespace {

TEST(TlsKeyPermissionsTest, RefusesAKeyOthersMayReadUnlessTold) {
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  idgen::testing::TempDir dir("idgen-tls-perm-");
  testing::TestCert cert = testing::MakeCert("node", now + absl::Hours(1));
  TlsServerConfig c;
  c.cert_file = dir.path() + "/node.pem";
  c.key_file = dir.path() + "/node.key";
  std::ofstream(c.cert_file) << cert.cert_pem;
  std::ofstream(c.key_file) << cert.key_pem;
  std::filesystem::permissions(c.key_file, std::filesystem::perms::owner_read |
                                               std::filesystem::perms::owner_write |
                                               std::filesystem::perms::group_read);
  absl::Status s = CheckTlsServerConfig(c, now);
  EXPECT_THAT(s.message(), HasSubstr("may be read by group or others (mode 0640)"));
  c.check_key_permissions = false;
  EXPECT_TRUE(CheckTlsServerConfig(c, now).ok());
}

}  // namespace
}  // namespace idgen::security
