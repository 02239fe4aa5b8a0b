// Copyright idgen authors.
//
// The etcd security flags: which combinations are refused, with which flag
// named, and where the password comes from.
#include "src/cli/etcd_flags.h"

#include <sys/stat.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/security/testing/test_certs.h"
#include "src/testing/temp_dir.h"

namespace idgen::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
const std::vector<std::string> kPlain = {"http://127.0.0.1:2379"};
const std::vector<std::string> kTls = {"https://127.0.0.1:2379"};

class EtcdFlagsTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    return security::testing::WritePrivateFile(dir_.path(), name, text);
  }
  absl::Status Apply(const EtcdSecurityFlags& flags, const std::vector<std::string>& endpoints,
                     const std::optional<std::string>& env_password = std::nullopt) {
    options_ = {};
    return ApplyEtcdSecurity(flags, endpoints, env_password, /*check_permissions=*/true, kNow,
                             &options_);
  }

  idgen::testing::TempDir dir_{"idgen-etcd-flags-test-"};
  security::testing::TestCert ca_ = security::testing::MakeCert("ca", kNow + absl::Hours(48));
  security::testing::TestCert client_ =
      security::testing::MakeCert("idgen", kNow + absl::Hours(24), &ca_);
  coord::EtcdClient::Options options_;
};

TEST_F(EtcdFlagsTest, TlsFlagsWithPlaintextEndpointsAreRefusedNamingTheFlag) {
  const std::string ca = Write("ca.pem", ca_.cert_pem);
  EXPECT_THAT(Apply({.cacert = ca}, kPlain).message(),
              HasSubstr("--etcd-cacert applies to https:// etcd endpoints"));
  EXPECT_THAT(Apply({.key = "/k"}, kPlain).message(), HasSubstr("--etcd-key applies"));
  EXPECT_THAT(Apply({.crl_dir = "/c"}, kPlain).message(), HasSubstr("--etcd-crl-dir applies"));
  EXPECT_TRUE(Apply({}, kPlain).ok());
  EXPECT_FALSE(options_.tls.enabled());
}

TEST_F(EtcdFlagsTest, HttpsNeedsTheCaAndACertificateNeedsItsKey) {
  EXPECT_THAT(Apply({}, kTls).message(), HasSubstr("pass --etcd-cacert"));
  const std::string ca = Write("ca.pem", ca_.cert_pem);
  const std::string cert = Write("client.pem", client_.cert_pem);
  const absl::Status s = Apply({.cacert = ca, .cert = cert}, kTls);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("--etcd-cert and --etcd-key go together"));

  const std::string key = Write("client.key", client_.key_pem);
  ASSERT_TRUE(Apply({.cacert = ca, .cert = cert, .key = key}, kTls).ok());
  EXPECT_EQ(options_.tls.ca_file, ca);
  EXPECT_EQ(options_.tls.cert_file, cert);
  EXPECT_EQ(options_.tls.key_file, key);
  EXPECT_TRUE(options_.tls.crl_dir.empty());
}

// (A directory with CRLs in it is taken: etcd_security.test.mjs.)
TEST_F(EtcdFlagsTest, ACrlDirectoryThatDoesNotLoadIsRefusedNamingTheFlag) {
  const std::string ca = Write("ca.pem", ca_.cert_pem);
  for (const std::string& dir : {dir_.path() + "/none", dir_.path()}) {  // missing; no CRL in it
    const absl::Status s = Apply({.cacert = ca, .crl_dir = dir}, kTls);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << dir;
    EXPECT_THAT(s.message(), HasSubstr("--etcd-crl-dir")) << dir;
  }
}

TEST_F(EtcdFlagsTest, KeyFileReadableByOthersIsRefused) {
  const std::string ca = Write("ca.pem", ca_.cert_pem);
  const std::string cert = Write("client.pem", client_.cert_pem);
  const std::string key = Write("client.key", client_.key_pem);
  ASSERT_EQ(::chmod(key.c_str(), 0644), 0);
  EXPECT_THAT(Apply({.cacert = ca, .cert = cert, .key = key}, kTls).message(),
              HasSubstr("--etcd-key \"" + key + "\" may be read by group or others"));
}

TEST_F(EtcdFlagsTest, PasswordComesFromTheEnvironmentOrAFile) {
  ASSERT_TRUE(Apply({.user = "idgen"}, kPlain, "from-env").ok());
  EXPECT_EQ(options_.user, "idgen");
  EXPECT_EQ(options_.password, "from-env");

  // One trailing line end is not part of the password.
  const std::string file = Write("password", "from-file\r\n");
  ASSERT_TRUE(Apply({.user = "idgen", .password_file = file}, kPlain).ok());
  EXPECT_EQ(options_.password, "from-file");
}

TEST_F(EtcdFlagsTest, IncompletePasswordSettingsAreRefusedWithoutShowingThePassword) {
  EXPECT_THAT(Apply({.user = "idgen"}, kPlain).message(),
              HasSubstr("--etcd-user \"idgen\" needs a password"));
  const absl::Status no_user = Apply({}, kPlain, "secret-1");
  EXPECT_THAT(no_user.message(), HasSubstr("IDGEN_ETCD_PASSWORD needs --etcd-user"));
  EXPECT_THAT(no_user.message(), Not(HasSubstr("secret-1")));

  const std::string file = Write("password", "secret-2\n");
  const absl::Status both = Apply({.user = "idgen", .password_file = file}, kPlain, "secret-1");
  EXPECT_THAT(both.message(), HasSubstr("give the etcd password once"));
  EXPECT_THAT(both.message(), Not(HasSubstr("secret")));

  const std::string empty = Write("empty", "\n");
  EXPECT_THAT(Apply({.user = "idgen", .password_file = empty}, kPlain).message(),
              HasSubstr("the file is empty"));
  ASSERT_EQ(::chmod(file.c_str(), 0640), 0);
  const absl::Status loose = Apply({.user = "idgen", .password_file = file}, kPlain);
  EXPECT_THAT(loose.message(), HasSubstr("may be read by group or others"));
  EXPECT_THAT(loose.message(), Not(HasSubstr("secret-2")));
}

TEST(EtcdEndpointsTest, OneSchemeForTheWholeList) {
  auto ok = ParseEtcdEndpoints("https://10.0.0.1:2379, https://10.0.0.2:2379");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, (std::vector<std::string>{"https://10.0.0.1:2379", "https://10.0.0.2:2379"}));
  EXPECT_TRUE(ParseEtcdEndpoints("10.0.0.1:2379,http://10.0.0.2:2379").ok());
  EXPECT_THAT(ParseEtcdEndpoints("https://10.0.0.1:2379,http://10.0.0.2:2379").status().message(),
              HasSubstr("mixes https:// and plaintext"));
  EXPECT_THAT(ParseEtcdEndpoints("10.0.0.1:2379,https://10.0.0.2:2379").status().message(),
              HasSubstr("mixes https:// and plaintext"));
  EXPECT_THAT(ParseEtcdEndpoints("unix:/tmp/etcd.sock").status().message(),
              HasSubstr("--etcd \"unix:/tmp/etcd.sock\""));
}

}  // namespace
}  // namespace idgen::cli
