// Copyright idgen authors.
#include "src/telemetry/otlp_env.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/security/testing/test_certs.h"
#include "src/telemetry/telemetry_config.h"
#include "src/testing/temp_dir.h"

namespace idgen::telemetry {
namespace {

using security::testing::MakeCert;
using security::testing::TestCert;
using security::testing::WritePrivateFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using ::testing::SizeIs;

class OtlpEnvTest : public ::testing::Test {
 protected:
  ParsedTelemetryConfig Parse(const std::map<std::string, std::string>& env) {
    return ParseTelemetryConfig(
        [&env](std::string_view name) -> std::optional<std::string> {
          auto it = env.find(std::string(name));
          if (it == env.end()) return std::nullopt;
          return it->second;
        },
        "idgen-serve");
  }

  idgen::testing::TempDir dir_{"idgen-otlp-env-"};
  TestCert ca_ = MakeCert("collector CA", absl::Now() + absl::Hours(24));
  TestCert client_ = MakeCert("idgen", absl::Now() + absl::Hours(2), &ca_);
  std::string ca_file_ = WritePrivateFile(dir_.path(), "ca.pem", ca_.cert_pem);
  std::string other_ca_file_ = WritePrivateFile(
      dir_.path(), "other.pem", MakeCert("other", absl::Now() + absl::Hours(24)).cert_pem);
  std::string cert_file_ = WritePrivateFile(dir_.path(), "client.pem", client_.cert_pem);
  std::string key_file_ = WritePrivateFile(dir_.path(), "client.key", client_.key_pem);
};

TEST_F(OtlpEnvTest, HttpsEndpointsTakeTheFilesAndPerSignalVariablesWin) {
  const ParsedTelemetryConfig p = Parse({
      {"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"},
      {"OTEL_EXPORTER_OTLP_CERTIFICATE", ca_file_},
      {"OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE", other_ca_file_},
      {"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", cert_file_},
      {"OTEL_EXPORTER_OTLP_CLIENT_KEY", key_file_},
      {"OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20t0ken, x-tenant = blue "},
      {"OTEL_EXPORTER_OTLP_LOGS_HEADERS", "only=logs"},
  });
  EXPECT_THAT(p.errors, IsEmpty());
  EXPECT_THAT(p.warnings, IsEmpty());
  EXPECT_EQ(p.config.traces.endpoint, "https://collector:4318/v1/traces");
  EXPECT_EQ(p.config.traces.tls.ca_file, ca_file_);
  EXPECT_EQ(p.config.traces.tls.cert_file, cert_file_);
  EXPECT_EQ(p.config.traces.tls.key_file, key_file_);
  EXPECT_EQ(p.config.metrics.tls.ca_file, other_ca_file_);
  EXPECT_EQ(p.config.metrics.tls.cert_file, cert_file_);
  EXPECT_THAT(p.config.traces.headers,
              ElementsAre(Pair("authorization", "Bearer t0ken"), Pair("x-tenant", "blue")));
  EXPECT_THAT(p.config.logs.headers, ElementsAre(Pair("only", "logs")));
}

TEST_F(OtlpEnvTest, HttpsWithoutACertificateUsesTheSystemStore) {
  const ParsedTelemetryConfig p =
      Parse({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://collector/v1/traces"}});
  EXPECT_THAT(p.errors, IsEmpty());
  EXPECT_EQ(p.config.traces.exporter, ExporterKind::kOtlp);
  EXPECT_TRUE(p.config.traces.tls.ca_file.empty());
}

TEST_F(OtlpEnvTest, BadFilesAreErrorsNamingTheVariable) {
  const std::string missing = dir_.path() + "/missing.pem";
  ParsedTelemetryConfig p = Parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"},
                                   {"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", missing}});
  ASSERT_THAT(p.errors, SizeIs(1));
  EXPECT_THAT(p.errors[0], HasSubstr("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE=\"" + missing));

  p = Parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"},
             {"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", cert_file_}});
  ASSERT_THAT(p.errors, SizeIs(1));
  EXPECT_THAT(p.errors[0], HasSubstr("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE is set but "
                                     "OTEL_EXPORTER_OTLP_CLIENT_KEY"));

  // A key that belongs to another certificate.
  const std::string wrong_key = WritePrivateFile(
      dir_.path(), "wrong.key", MakeCert("x", absl::Now() + absl::Hours(1), &ca_).key_pem);
  p = Parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"},
             {"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", cert_file_},
             {"OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY", wrong_key},
             {"OTEL_EXPORTER_OTLP_CLIENT_KEY", key_file_}});
  ASSERT_THAT(p.errors, SizeIs(1)) << ::testing::PrintToString(p.errors);
  EXPECT_THAT(p.errors[0], HasSubstr("OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY="));
}

// (A directory with CRLs is taken and refuses a revoked collector:
// otlp_tls.test.mjs.)
TEST_F(OtlpEnvTest, ACrlDirectoryNeedsACaAndMustHoldCrls) {
  ParsedTelemetryConfig p = Parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"},
                                   {"IDGEN_OTLP_CRL_DIR", dir_.path()}});
  ASSERT_THAT(p.errors, Not(IsEmpty()));
  EXPECT_THAT(p.errors[0], HasSubstr("IDGEN_OTLP_CRL_DIR needs OTEL_EXPORTER_OTLP_CERTIFICATE"));

  p = Parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"},
             {"OTEL_EXPORTER_OTLP_CERTIFICATE", ca_file_},
             {"IDGEN_OTLP_CRL_DIR", dir_.path()}});  // certificates, but no CRL
  ASSERT_THAT(p.errors, Not(IsEmpty()));
  EXPECT_THAT(p.errors[0], HasSubstr("IDGEN_OTLP_CRL_DIR=\"" + dir_.path()));
  EXPECT_THAT(p.errors[0], HasSubstr("no hashed CRL file"));
}

TEST_F(OtlpEnvTest, TlsFilesForAnHttpEndpointAreAnError) {
  const ParsedTelemetryConfig p = Parse({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"},
                                         {"OTEL_EXPORTER_OTLP_CERTIFICATE", ca_file_}});
  ASSERT_THAT(p.errors, SizeIs(3));  // one per signal
  EXPECT_THAT(p.errors[0], HasSubstr("OTEL_EXPORTER_OTLP_CERTIFICATE is set"));
  EXPECT_THAT(p.errors[0], HasSubstr("not https://"));
}

TEST_F(OtlpEnvTest, MalformedHeaderListsAreErrorsThatNeverShowAValue) {
  for (const char* bad : {"api-key", "=s3cret", "k=%zzs3cret", "bad key=s3cret", "k=line%0As3cret",
                          "ok=1,api-key:s3cret"}) {
    const ParsedTelemetryConfig p = Parse(
        {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"}, {"OTEL_EXPORTER_OTLP_HEADERS", bad}});
    ASSERT_THAT(p.errors, SizeIs(1)) << bad;
    EXPECT_THAT(p.errors[0], HasSubstr("OTEL_EXPORTER_OTLP_HEADERS: item ")) << bad;
    EXPECT_THAT(p.errors[0], Not(HasSubstr("s3cret"))) << bad;
  }
  // Not exported over OTLP: not read.
  EXPECT_THAT(Parse({{"OTEL_EXPORTER_OTLP_HEADERS", "api-key"}}).errors, IsEmpty());
}

TEST(ParseOtlpHeadersTest, DecodesAndSkipsEmptyItems) {
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> h =
      ParseOtlpHeaders("V", " A=1%2C2 ,, b=%3D ,c=");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_THAT(*h, ElementsAre(Pair("a", "1,2"), Pair("b", "="), Pair("c", "")));
}

}  // namespace
}  // namespace idgen::telemetry
