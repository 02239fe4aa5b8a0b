// Copyright idgen authors.
//
// Shutdown is bounded by the budget a process gives it, even when the
// collector accepts connections and never answers.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "src/telemetry/otlp_exporter.h"
#include "src/telemetry/telemetry.h"

namespace idgen::telemetry {
namespace {

// A loopback port whose connections the kernel completes (backlog) and
// nobody ever reads or answers.
class SilentCollector {
 public:
  SilentCollector() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 64), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentCollector() { close(fd_); }
  std::string endpoint() const { return absl::StrCat("http://127.0.0.1:", port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

std::unique_ptr<Telemetry> MakeTelemetry(const std::string& endpoint, const std::string& protocol,
                                         std::ostream* sink) {
  const std::map<std::string, std::string> env = {
      {"OTEL_EXPORTER_OTLP_ENDPOINT", endpoint}, {"OTEL_EXPORTER_OTLP_PROTOCOL", protocol},
      {"OTEL_METRIC_EXPORT_INTERVAL", "600000"},  // only the final export
      {"OTEL_BSP_SCHEDULE_DELAY", "600000"},     {"OTEL_BLRP_SCHEDULE_DELAY", "600000"},
  };
  Telemetry::Options options;
  options.log_sink = sink;
  return Telemetry::Create(ParseTelemetryConfig(
                               [&env](std::string_view name) -> std::optional<std::string> {
                                 auto it = env.find(std::string(name));
                                 if (it == env.end()) return std::nullopt;
                                 return it->second;
                               },
                               "idgen-test"),
                           std::move(options));
}

// Each export to the silent collector would take the 10 s default timeout;
// metrics, spans and logs one after the other would take 30 s.
void ExpectShutdownWithinBudget(const std::string& protocol) {
  SilentCollector collector;
  std::ostringstream sink;
  std::unique_ptr<Telemetry> tel = MakeTelemetry(collector.endpoint(), protocol, &sink);
  tel->logger().Info("queued for the final flush");
  tel->tracer().StartSpan("queued span", SpanKind::kInternal, SpanContext(), {})->End();
  const absl::Time start = absl::Now();
  tel->Shutdown(absl::Milliseconds(300));
  const absl::Duration took = absl::Now() - start;
  EXPECT_LT(took, absl::Seconds(3)) << protocol;
}

TEST(TelemetryShutdownTest, BudgetBoundsFinalExportToSilentHttpCollector) {
  ExpectShutdownWithinBudget("http/protobuf");
}

TEST(TelemetryShutdownTest, BudgetBoundsFinalExportToSilentGrpcCollector) {
  ExpectShutdownWithinBudget("grpc");
}

TEST(OtlpExporterTest, ExportAfterCutoffFailsWithoutTryingTheCollector) {
  FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  SignalExportConfig config;
  config.exporter = ExporterKind::kOtlp;
  config.protocol = OtlpProtocol::kHttpProtobuf;
  config.endpoint = "http://127.0.0.1:9/v1/logs";  // never reached
  OtlpExporter exporter(Signal::kLogs, config, &clock);
  exporter.SetCutoff(clock.MonotonicNow() + absl::Seconds(1));
  clock.Advance(absl::Seconds(1));
  absl::Status s =
      exporter.Export(opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest());
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("shutdown deadline passed"));
}

}  // namespace
}  // namespace idgen::telemetry
