// Copyright idgen authors.
#include "src/security/certificate_metrics.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "src/security/certificate_watcher.h"
#include "src/security/testing/test_certs.h"
#include "src/telemetry/meter.h"
#include "src/testing/temp_dir.h"

namespace idgen::security {
namespace {

// Every point of `name` as "listener/result" (or "listener") -> value.
std::map<std::string, double> Points(telemetry::Meter& meter, const std::string& name) {
  std::map<std::string, double> out;
  for (const telemetry::MetricData& m : meter.Collect()) {
    if (m.name != name) continue;
    for (const auto& p : m.numbers) {
      std::string key;
      for (const auto& [k, v] : p.attributes) {
        if (!key.empty()) key += "/";
        key += std::get<std::string>(v);
      }
      out[key] = p.value();
    }
  }
  return out;
}

TEST(CertificateMetricsTest, ReportTheServedExpiryAndEveryReloadPerListener) {
  const absl::Time now = absl::Now();
  FakeClock clock(now);
  idgen::testing::TempDir dir("idgen-cert-metric-");
  const testing::TestCert first = testing::MakeCert("node", now + absl::Hours(2));
  TlsServerConfig config{
      .cert_file = dir.path() + "/server.pem",
      .key_file = testing::WritePrivateFile(dir.path(), "server.key", first.key_pem),
      .reload_interval = absl::Seconds(1)};
  std::ofstream(config.cert_file) << first.cert_pem;
  std::unique_ptr<CertificateWatcher> watcher = *CertificateWatcher::Create(
      config, {"grpc", "admin"}, &clock, [](const std::string&, bool) {});
  telemetry::Meter meter("test", &clock);
  RegisterCertificateMetrics(&meter, watcher.get());

  const double two_hours = static_cast<double>(absl::ToUnixSeconds(now + absl::Hours(2)));
  EXPECT_EQ(Points(meter, "idgen.tls.cert.not_after"),
            (std::map<std::string, double>{{"grpc", two_hours}, {"admin", two_hours}}));
  EXPECT_EQ(Points(meter, "idgen.tls.reloads")["grpc/failure"], 0);

  // A certificate written without its new key: not served, not reported.
  std::ofstream(config.cert_file, std::ios::trunc)
      << testing::MakeCert("node", now + absl::Hours(30)).cert_pem;
  clock.Advance(absl::Seconds(1));
  watcher->Poll();
  EXPECT_EQ(Points(meter, "idgen.tls.cert.not_after")["grpc"], two_hours);
  EXPECT_EQ(
      Points(meter, "idgen.tls.reloads"),
      (std::map<std::string, double>{
          {"grpc/success", 0}, {"grpc/failure", 1}, {"admin/success", 0}, {"admin/failure", 1}}));

  // The whole pair renewed: served and reported.
  const testing::TestCert renewed = testing::MakeCert("node", now + absl::Hours(30));
  std::ofstream(config.cert_file, std::ios::trunc) << renewed.cert_pem;
  std::ofstream(config.key_file, std::ios::trunc) << renewed.key_pem;
  clock.Advance(absl::Seconds(1));
  watcher->Poll();
  EXPECT_EQ(Points(meter, "idgen.tls.cert.not_after")["admin"],
            static_cast<double>(absl::ToUnixSeconds(now + absl::Hours(30))));
  EXPECT_EQ(Points(meter, "idgen.tls.reloads")["admin/success"], 1);
}

}  // namespace
}  // namespace idgen::security
