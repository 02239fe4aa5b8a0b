// Copyright idgen authors.
#include "src/security/certificate_metrics.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "src/security/testing/test_certs.h"
#include "src/telemetry/meter.h"
#include "src/testing/temp_dir.h"

namespace idgen::security {
namespace {

TEST(CertificateNotAfterTest, ReportsTheExpiryAndFollowsTheFile) {
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  FakeClock clock(now);
  idgen::testing::TempDir dir("idgen-cert-metric-");
  const std::string path = dir.path() + "/server.pem";
  std::ofstream(path) << testing::MakeCert("node", now + absl::Hours(2)).cert_pem;
  telemetry::Meter meter("test", &clock);
  RegisterCertificateNotAfter(&meter, "grpc", path);

  auto not_after = [&]() -> std::optional<double> {
    for (const telemetry::MetricData& m : meter.Collect()) {
      if (m.name == "idgen.tls.cert.not_after" && !m.numbers.empty()) {
        EXPECT_EQ(m.numbers[0].attributes.size(), 1u);
        return m.numbers[0].value();
      }
    }
    return std::nullopt;
  };
  EXPECT_EQ(not_after(), absl::ToUnixSeconds(now + absl::Hours(2)));
  // Renewed on disk: the next collection sees it.
  std::ofstream(path, std::ios::trunc) << testing::MakeCert("node", now + absl::Hours(30)).cert_pem;
  EXPECT_EQ(not_after(), absl::ToUnixSeconds(now + absl::Hours(30)));
  std::ofstream(path, std::ios::trunc) << "gone";
  EXPECT_EQ(not_after(), std::nullopt);
}

}  // namespace
}  // namespace idgen::security
