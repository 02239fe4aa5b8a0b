// Copyright idgen authors.
#include "src/apphost/local_pki.h"

#include <sys/stat.h>

#include <fstream>

#include <gtest/gtest.h>

#include "src/config/json_fields.h"
#include "src/security/certificate_issuer.h"
#include "src/testing/temp_dir.h"

namespace idgen::apphost {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

mode_t Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

std::string Read(const std::string& path) { return config::ReadTextFile(path).value_or(""); }

absl::Time NotAfter(const std::string& cert_file) {
  return security::ReadCertificateFacts(Read(cert_file)).value().not_after;
}

TEST(LocalPkiTest, MakesAPrivateDirWithACaAndLeavesSignedByIt) {
  idgen::testing::TempDir tmp("local_pki_");
  const std::string dir = tmp.path() + "/tls";
  absl::StatusOr<LocalPki> pki = LocalPki::Ensure(dir, {"node", "gateway"}, kNow);
  ASSERT_TRUE(pki.ok()) << pki.status();
  EXPECT_EQ(pki->made(), (std::vector<std::string>{"ca", "node", "gateway"}));
  EXPECT_EQ(Mode(dir), 0700u);
  EXPECT_EQ(Mode(pki->key_file("node")), 0600u);
  EXPECT_EQ(Mode(dir + "/ca.key"), 0600u);
  for (const std::string name : {"node", "gateway"}) {
    security::PemKeyPair pair{Read(pki->cert_file(name)), Read(pki->key_file(name))};
    EXPECT_TRUE(security::CheckIssuedBy(pair, Read(pki->ca_file())).ok()) << name;
    EXPECT_EQ(security::ReadCertificateFacts(pair.cert_pem)->common_name, "idgen-" + name);
  }
  EXPECT_EQ(NotAfter(pki->cert_file("node")), kNow + absl::Hours(24 * 30));
}

TEST(LocalPkiTest, KeepsWhatIsGoodAndRenewsWhatIsNot) {
  idgen::testing::TempDir tmp("local_pki_");
  const std::string dir = tmp.path() + "/tls";
  ASSERT_TRUE(LocalPki::Ensure(dir, {"node", "gateway"}, kNow).ok());
  const std::string ca = Read(dir + "/ca.crt");
  const std::string gateway = Read(dir + "/gateway.crt");

  // A day later: nothing to do.
  absl::StatusOr<LocalPki> again =
      LocalPki::Ensure(dir, {"node", "gateway"}, kNow + absl::Hours(24));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->made().empty());

  // A missing leaf and a damaged one are made again under the same CA.
  std::remove((dir + "/node.key").c_str());
  std::ofstream(dir + "/gateway.crt", std::ios::trunc) << "junk";
  again = LocalPki::Ensure(dir, {"node", "gateway", "etcd"}, kNow + absl::Hours(24));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->made(), (std::vector<std::string>{"node", "gateway", "etcd"}));
  EXPECT_EQ(Read(dir + "/ca.crt"), ca);

  // Within a week of the leaves' expiry: leaves renewed, CA kept.
  again = LocalPki::Ensure(dir, {"node", "gateway", "etcd"}, kNow + absl::Hours(24 * 25));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->made(), (std::vector<std::string>{"node", "gateway", "etcd"}));
  EXPECT_EQ(Read(dir + "/ca.crt"), ca);
  EXPECT_NE(Read(dir + "/gateway.crt"), gateway);

  // Near the CA's expiry: a new CA, and every leaf with it.
  again = LocalPki::Ensure(dir, {"node"}, kNow + absl::Hours(24 * 360));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->made(), (std::vector<std::string>{"ca", "node"}));
  EXPECT_NE(Read(dir + "/ca.crt"), ca);
}

TEST(LocalPkiTest, TightensALooseDirAndRefusesBadNames) {
  idgen::testing::TempDir tmp("local_pki_");
  const std::string dir = tmp.path() + "/tls";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  ASSERT_TRUE(LocalPki::Ensure(dir, {"node"}, kNow).ok());
  EXPECT_EQ(Mode(dir), 0700u);
  EXPECT_EQ(LocalPki::Ensure(dir, {"ca"}, kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LocalPki::Ensure(dir, {"../x"}, kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LocalPki::Ensure("/proc/nope/tls", {"node"}, kNow).status().code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace idgen::apphost
