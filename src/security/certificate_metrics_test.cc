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

TEST(CertificateExpiryTest, ReportsSecondsLeftAndFollowsTheFile) {
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  FakeClock clock(now);
  idgen::testing::TempDir dir("idgen-cert-metric-");
  const std::string path = dir.path() + "/server.pem";
  std::ofstream(path) << testing::MakeCert("node", now + absl::Hours(2)).cert_pem;
  telemetry::Meter meter("test", &clock);
  RegisterCertificateExpiry(&meter, &clock, "grpc", path);

  auto seconds_left = [&]() -> std::optional<double> {
    for (const telemetry::MetricData& m : meter.Collect()) {
      if (m.name == "idgen.tls.certificate.expiry" && !m.numbers.empty()) {
        return m.numbers[0].value();
      }
    }
    return std::nullopt;
  };
  EXPECT_EQ(seconds_left(), 7200);
  clock.Advance(absl::Hours(3));
  EXPECT_EQ(seconds_left(), -3600);  // expired an hour ago
  // Renewed on disk: the next collection sees it.
  std::ofstream(path, std::ios::trunc) << testing::MakeCert("node", now + absl::Hours(30)).cert_pem;
  EXPECT_EQ(seconds_left(), 27 * 3600);
  std::ofstream(path, std::ios::trunc) << "gone";
  EXPECT_EQ(seconds_left(), std::nullopt);
}

}  // namespace
}  // namespace idgen::security
