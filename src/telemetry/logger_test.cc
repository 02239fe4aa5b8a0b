// Copyright idgen authors.
#include "src/telemetry/logger.h"

#include <sstream>

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"

namespace idgen::telemetry {
namespace {

TEST(LoggerTest, JsonLineCarriesTheFixedFieldsAndTraceIds) {
  FakeClock clock(absl::FromUnixMillis(1'764'172'204'123));
  std::ostringstream out;
  Logger log("idgen-serve", LogFormat::kJson, &out, &clock, nullptr);
  log.Info("started \"x\"\n", {{"grpc.port", int64_t{50051}}, {"message", std::string("no")}});
  SpanContext ctx = *ParseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  {
    Scope scope(ctx);
    log.Warn("inside");
  }
  std::istringstream lines(out.str());
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j["time"], "2025-11-26T15:50:04.123Z");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["message"], "started \"x\"\n");
  EXPECT_EQ(j["service"], "idgen-serve");
  EXPECT_EQ(j["trace_id"], "");
  EXPECT_EQ(j["grpc.port"], 50051);
  ASSERT_TRUE(std::getline(lines, line));
  j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "warn");
  EXPECT_EQ(j["trace_id"], "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(j["span_id"], "b7ad6b7169203331");
  EXPECT_FALSE(std::getline(lines, line));
}

TEST(LoggerTest, TextFormat) {
  FakeClock clock(absl::FromUnixMillis(0));
  std::ostringstream out;
  Logger log("svc", LogFormat::kText, &out, &clock, nullptr);
  log.Error("failed", {{"code", int64_t{14}}});
  EXPECT_EQ(out.str(), "1970-01-01T00:00:00.000Z ERROR svc failed code=14\n");
}

TEST(LoggerTest, RecordsGoToTheExporterToo) {
  FakeClock clock(absl::FromUnixMillis(0));
  std::vector<LogRecord> got;
  {
    BatchProcessor<LogRecord> batch({.schedule_delay = absl::Hours(1)},
                                    [&](std::vector<LogRecord>& b) {
                                      for (auto& r : b) got.push_back(r);
                                      return absl::OkStatus();
                                    });
    Logger log("svc", LogFormat::kJson, nullptr, &clock, &batch);
    log.Info("one");
    batch.Shutdown();
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].message, "one");
  EXPECT_EQ(got[0].severity, Severity::kInfo);
}

}  // namespace
}  // namespace idgen::telemetry
