// Copyright idgen authors.
#include "src/server/grpc_log_bridge.h"

#include <string>
#include <vector>

#include <grpc/support/log.h>

#include "gtest/gtest.h"
#include "idgen/clock.h"

namespace idgen::server {
namespace {

using telemetry::Severity;

// Lines as gRPC 1.51 writes them (seen from a node under each refusal).
constexpr char kTransport[] = "./src/core/ext/transport/chttp2/transport/chttp2_transport.cc";
constexpr char kPings[] =
    "ipv4:127.0.0.1:36674: Sending goaway err=UNKNOWN:too_many_pings {file:\"x.cc\", "
    "http2_error:11}";
constexpr char kIdle[] =
    "ipv4:127.0.0.1:39202: Sending goaway err=UNKNOWN:enter idle {channel_connectivity_state:0}";
constexpr char kMetadata[] =
    "received initial metadata size exceeds limit (4250 vs. 2048). GRPC_ARG_MAX_METADATA_SIZE "
    "can be set to increase this limit.";
constexpr char kHandshake[] =
    "Handshaking failed: UNKNOWN:Tls handshake failed: SSL_ERROR_SSL: error:0A0000C7:SSL "
    "routines::peer did not return a certificate";

TEST(ClassifyGrpcLog, NamesEachRefusalByItsSourceAndMessage) {
  EXPECT_EQ(ClassifyGrpcLog(kTransport, kPings), GrpcRefusal::kPingStrikes);
  EXPECT_EQ(ClassifyGrpcLog(kTransport, kIdle), GrpcRefusal::kIdleTimeout);
  EXPECT_EQ(ClassifyGrpcLog("./src/core/ext/transport/chttp2/transport/hpack_parser.cc", kMetadata),
            GrpcRefusal::kMetadataTooLarge);
  EXPECT_EQ(ClassifyGrpcLog("./src/core/ext/transport/chttp2/server/chttp2_server.cc", kHandshake),
            GrpcRefusal::kHandshakeFailed);
}

TEST(ClassifyGrpcLog, OtherLinesAreNoRefusal) {
  // A GOAWAY for another reason (a server shutting down).
  EXPECT_EQ(ClassifyGrpcLog(kTransport, "ipv4:1.2.3.4:5: Sending goaway err=OK"), std::nullopt);
  // The same words from another file: the client side's handshake, a trace.
  EXPECT_EQ(ClassifyGrpcLog("security_handshaker.cc", "Security handshake failed: x"),
            std::nullopt);
  EXPECT_EQ(ClassifyGrpcLog("server.cc", kPings), std::nullopt);
  EXPECT_EQ(ClassifyGrpcLog("chttp2_server.cc", "handshake done"), std::nullopt);
  EXPECT_EQ(ClassifyGrpcLog("", ""), std::nullopt);
}

TEST(GrpcVerbosity, ParsesGrpcsValuesAndDefaultsToError) {
  EXPECT_EQ(GrpcVerbosity("DEBUG"), Severity::kDebug);
  EXPECT_EQ(GrpcVerbosity("info"), Severity::kInfo);
  EXPECT_EQ(GrpcVerbosity("ERROR"), Severity::kError);
  EXPECT_EQ(GrpcVerbosity(nullptr), Severity::kError);
  EXPECT_EQ(GrpcVerbosity(""), Severity::kError);
  EXPECT_EQ(GrpcVerbosity("loud"), Severity::kError);
}

struct Line {
  Severity severity;
  std::string file;
  int line;
  std::string message;
};

// Through gRPC's own gpr_log: the bridge is gRPC's log function, counts the
// refusals at debug severity and passes on only what GRPC_VERBOSITY (unset
// in tests: ERROR) asks for.
TEST(GrpcLogBridge, CountsRefusalsFromGprLogAndPassesOnErrors) {
  GrpcLogBridge& bridge = GrpcLogBridge::Install();
  EXPECT_EQ(&bridge, &GrpcLogBridge::Install());
  std::vector<Line> seen;
  const int handle =
      bridge.SetSink([&](Severity s, std::string_view file, int line, std::string_view message) {
        seen.push_back({s, std::string(file), line, std::string(message)});
      });
  const int64_t pings = bridge.refused(GrpcRefusal::kPingStrikes);
  const int64_t handshakes = bridge.refused(GrpcRefusal::kHandshakeFailed);

  gpr_log(kTransport, 1676, GPR_LOG_SEVERITY_DEBUG, "%s", kPings);
  gpr_log(kTransport, 1676, GPR_LOG_SEVERITY_DEBUG, "%s", kPings);
  gpr_log("./src/core/ext/transport/chttp2/server/chttp2_server.cc", 448, GPR_LOG_SEVERITY_ERROR,
          "%s", kHandshake);
  gpr_log("./src/core/lib/iomgr/x.cc", 7, GPR_LOG_SEVERITY_INFO, "%s", "chatter");

  EXPECT_EQ(bridge.refused(GrpcRefusal::kPingStrikes), pings + 2);
  EXPECT_EQ(bridge.refused(GrpcRefusal::kHandshakeFailed), handshakes + 1);
  ASSERT_EQ(seen.size(), 1u) << "only the error line passes GRPC_VERBOSITY=ERROR";
  EXPECT_EQ(seen[0].severity, Severity::kError);
  EXPECT_EQ(seen[0].file, "chttp2_server.cc");
  EXPECT_EQ(seen[0].line, 448);
  EXPECT_EQ(seen[0].message, kHandshake);

  // A newer sink wins; clearing the older handle leaves it in place.
  std::vector<Line> later;
  const int newer = bridge.SetSink([&](Severity s, std::string_view f, int l, std::string_view m) {
    later.push_back({s, std::string(f), l, std::string(m)});
  });
  bridge.ClearSink(handle);
  bridge.Handle(Severity::kError, "a.cc", 1, "after");
  EXPECT_EQ(seen.size(), 1u);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].message, "after");
  bridge.ClearSink(newer);
  bridge.Handle(Severity::kError, "a.cc", 2, "to stderr");
  EXPECT_EQ(later.size(), 1u);
}

// A flood of error lines (one per failed handshake) is cut to
// kGrpcLogLinesPerSecond a second; the refusals are all counted, and the
// next line passed on says how many lines were dropped.
TEST(GrpcLogBridge, PassesOnAtMostFiftyLinesASecondAndSaysHowManyItDropped) {
  GrpcLogBridge& bridge = GrpcLogBridge::Install();
  FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  bridge.SetClock(&clock);
  std::vector<Line> seen;
  const int handle =
      bridge.SetSink([&](Severity s, std::string_view file, int line, std::string_view message) {
        seen.push_back({s, std::string(file), line, std::string(message)});
      });
  const int64_t handshakes = bridge.refused(GrpcRefusal::kHandshakeFailed);
  const int64_t dropped = bridge.dropped();
  constexpr char kServer[] = "./src/core/ext/transport/chttp2/server/chttp2_server.cc";
  for (int i = 0; i < 80; ++i) bridge.Handle(Severity::kError, kServer, 448, kHandshake);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kGrpcLogLinesPerSecond));
  EXPECT_EQ(bridge.refused(GrpcRefusal::kHandshakeFailed), handshakes + 80);
  EXPECT_EQ(bridge.dropped(), dropped + 30);

  clock.Advance(absl::Milliseconds(100));  // refills 5 lines
  for (int i = 0; i < 10; ++i) bridge.Handle(Severity::kError, kServer, 448, kHandshake);
  // The note on what was dropped, then 5 lines.
  ASSERT_EQ(seen.size(), static_cast<size_t>(kGrpcLogLinesPerSecond) + 1 + 5);
  EXPECT_EQ(seen[kGrpcLogLinesPerSecond].severity, Severity::kWarn);
  EXPECT_EQ(seen[kGrpcLogLinesPerSecond].message,
            "30 gRPC log lines dropped (more than 50 a second)");
  EXPECT_EQ(seen.back().message, kHandshake);
  EXPECT_EQ(bridge.dropped(), dropped + 35);

  bridge.ClearSink(handle);
  bridge.SetClock(SystemClock::Get());
}

}  // namespace
}  // namespace idgen::server
