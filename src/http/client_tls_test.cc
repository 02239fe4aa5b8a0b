// Copyright idgen authors.
//
// HttpClient over https:// against the project's own HTTPS server, with a
// PKI made in memory by the test: a trusted CA, another CA, server and
// client certificates.
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "idgen/clock.h"
#include "src/http/client.h"
#include "src/http/http_server.h"
#include "src/http/testing/raw_connection.h"
#include "src/http/tls_context.h"
#include "src/security/testing/test_certs.h"
#include "src/testing/temp_dir.h"

namespace idgen::http {
namespace {

using security::testing::MakeCert;
using security::testing::TestCert;
using security::testing::WritePrivateFile;
using ::testing::HasSubstr;

class HttpClientTlsTest : public ::testing::Test {
 protected:
  // Serves Echo over TLS with a certificate for `cn` from the trusted CA.
  std::unique_ptr<HttpServer> StartHttps(const std::string& cn, security::ClientAuth auth) {
    const TestCert leaf = MakeCert(cn, absl::Now() + absl::Hours(2), &ca_);
    security::TlsServerConfig config{
        .cert_file = WritePrivateFile(dir_.path(), cn + ".pem", leaf.cert_pem),
        .key_file = WritePrivateFile(dir_.path(), cn + ".key", leaf.key_pem),
        .client_ca_file = auth == security::ClientAuth::kNone ? "" : ca_file_,
        .client_auth = auth};
    absl::StatusOr<std::unique_ptr<security::CertificateWatcher>> watcher =
        security::CertificateWatcher::Create(config, {"test"}, SystemClock::Get(),
                                             [](const std::string&, bool) {});
    EXPECT_TRUE(watcher.ok()) << watcher.status();
    if (!watcher.ok()) return nullptr;
    absl::StatusOr<std::shared_ptr<TlsContextSource>> source = TlsContextSource::Create(
        std::shared_ptr<security::CertificateWatcher>(*std::move(watcher)));
    EXPECT_TRUE(source.ok()) << source.status();
    if (!source.ok()) return nullptr;
    HttpServer::Options options;
    options.listen = "127.0.0.1:0";
    options.handler = testing::Echo;
    options.tls = [s = *source] { return s->Current(); };
    return testing::StartServer(std::move(options));
  }

  // The client's own certificate from `issuer`; sets cert_file/key_file.
  void GiveClientCertificate(security::TlsClientConfig* tls, const TestCert& issuer) {
    const TestCert client = MakeCert("idgen-client", absl::Now() + absl::Hours(2), &issuer);
    tls->cert_file = WritePrivateFile(dir_.path(), "client.pem", client.cert_pem);
    tls->key_file = WritePrivateFile(dir_.path(), "client.key", client.key_pem);
  }

  static std::string Url(const std::string& host, const HttpServer& server) {
    return absl::StrCat("https://", host, ":", server.port(), "/hello?x=1");
  }

  idgen::testing::TempDir dir_{"idgen-client-tls-"};
  TestCert ca_ = MakeCert("idgen test CA", absl::Now() + absl::Hours(24));
  TestCert other_ca_ = MakeCert("another CA", absl::Now() + absl::Hours(24));
  std::string ca_file_ = WritePrivateFile(dir_.path(), "ca.pem", ca_.cert_pem);
  std::string other_ca_file_ = WritePrivateFile(dir_.path(), "other-ca.pem", other_ca_.cert_pem);
};

TEST_F(HttpClientTlsTest, TrustedCaAndMatchingHostPass) {
  auto server = StartHttps("localhost", security::ClientAuth::kNone);
  ASSERT_NE(server, nullptr);
  HttpClient client({.timeout = absl::Seconds(5), .tls = {.ca_file = ca_file_}});
  absl::StatusOr<HttpReply> r = client.Get(Url("localhost", *server));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("GET /hello"));
  // By address, with the name to check given apart.
  HttpClient by_ip(
      {.timeout = absl::Seconds(5), .tls = {.ca_file = ca_file_, .server_name = "localhost"}});
  r = by_ip.Post(Url("127.0.0.1", *server), "text/plain", "payload");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->body, HasSubstr("payload"));
}

TEST_F(HttpClientTlsTest, ACertificateFromAnotherCaIsRefusedAndSaysWhy) {
  auto server = StartHttps("localhost", security::ClientAuth::kNone);
  ASSERT_NE(server, nullptr);
  HttpClient client({.timeout = absl::Seconds(5), .tls = {.ca_file = other_ca_file_}});
  absl::StatusOr<HttpReply> r = client.Get(Url("localhost", *server));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("certificate was not accepted"));
  EXPECT_THAT(r.status().message(),
              HasSubstr(absl::StrCat("does not chain to the CA in ", other_ca_file_)));
  // The system's trust store does not know the test CA either.
  r = HttpClient({.timeout = absl::Seconds(5)}).Get(Url("localhost", *server));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("the system's trust store"));
}

TEST_F(HttpClientTlsTest, AWrongHostNameIsRefused) {
  auto server = StartHttps("someone-else.example", security::ClientAuth::kNone);
  ASSERT_NE(server, nullptr);
  HttpClient client({.timeout = absl::Seconds(5), .tls = {.ca_file = ca_file_}});
  absl::StatusOr<HttpReply> r = client.Get(Url("localhost", *server));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("does not name localhost"));
  // An address is checked against IP SANs, never the common name.
  r = client.Get(Url("127.0.0.1", *server));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("does not name 127.0.0.1"));
}

TEST_F(HttpClientTlsTest, MutualTlsWorksAndIsRequiredWhenTheServerRequiresIt) {
  auto server = StartHttps("localhost", security::ClientAuth::kRequire);
  ASSERT_NE(server, nullptr);
  security::TlsClientConfig tls{.ca_file = ca_file_};
  absl::StatusOr<HttpReply> r =
      HttpClient({.timeout = absl::Seconds(5), .tls = tls}).Get(Url("localhost", *server));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("certificate required"));

  GiveClientCertificate(&tls, other_ca_);
  r = HttpClient({.timeout = absl::Seconds(5), .tls = tls}).Get(Url("localhost", *server));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();

  GiveClientCertificate(&tls, ca_);
  r = HttpClient({.timeout = absl::Seconds(5), .tls = tls}).Get(Url("localhost", *server));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpClientTlsTest, NeverPlaintext) {
  // A TLS client and an http:// URL: refused before anything is sent.
  auto plain = testing::StartServer(testing::Echo);
  ASSERT_NE(plain, nullptr);
  HttpClient client({.timeout = absl::Seconds(5), .tls = {.ca_file = ca_file_}});
  absl::StatusOr<HttpReply> r = client.Get(testing::UrlOf(*plain));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("refusing to send in plaintext"));
  // https:// to a plaintext server: the handshake fails, nothing falls back.
  r = client.Get(absl::StrCat("https://127.0.0.1:", plain->port(), "/"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("TLS handshake failed"));
}

TEST_F(HttpClientTlsTest, UnloadableFilesAreNamed) {
  auto server = StartHttps("localhost", security::ClientAuth::kNone);
  ASSERT_NE(server, nullptr);
  const std::string missing = dir_.path() + "/missing.pem";
  absl::StatusOr<HttpReply> r =
      HttpClient({.tls = {.ca_file = missing}}).Get(Url("localhost", *server));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr(missing));
  r = HttpClient({.tls = {.ca_file = ca_file_, .cert_file = ca_file_}})
          .Get(Url("localhost", *server));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("go together"));
}

}  // namespace
}  // namespace idgen::http
