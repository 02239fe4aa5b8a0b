// Copyright idgen authors.
//
// libFuzzer target: the OTLP/HTTP bodies the `idgen up` dashboard receives
// (POST /v1/traces, /v1/metrics, /v1/logs, application/x-protobuf; JSON
// bodies are refused with 415 before any parse) and what the dashboard
// makes of them. The input is a sequence of exports: per export, one byte
// picks the signal and two give the body's length; each body is parsed as
// the receiver parses it (ParseFromString of the Export*ServiceRequest) and,
// when it parses, added to one TelemetryStore with small limits, so that
// eviction and truncation happen. Then the dashboard's three reads run and
// are serialized as the dashboard serializes them (strict UTF-8 dumps).
// Promises checked (telemetry_store.h):
//   * never a crash, never an exception out of a read or a dump;
//   * the store keeps at most max_spans spans;
//   * the byte count it reports in Metrics() is bytes();
//   * every trace TraceList names is found by Trace().
//
// Run:  build/fuzz/bin/otlp_body_fuzz -max_total_time=60 CORPUS_DIR fuzz/corpus/otlp_body_fuzz
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <google/protobuf/stubs/logging.h>
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_check.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "src/apphost/telemetry_store.h"

namespace idgen {
namespace {

namespace trace_v1 = opentelemetry::proto::collector::trace::v1;
namespace metrics_v1 = opentelemetry::proto::collector::metrics::v1;
namespace logs_v1 = opentelemetry::proto::collector::logs::v1;

constexpr size_t kMaxSpans = 64;
constexpr int kMaxExports = 16;

std::string Dump(const nlohmann::json& j) {
  try {
    return j.dump();
  } catch (const nlohmann::json::exception& e) {
    FUZZ_CHECK(false, "dump threw: %s", e.what());
  }
  return "";
}

void Read(const apphost::TelemetryStore& store) {
  const nlohmann::json list = store.TraceList(1000);
  Dump(list);
  size_t spans = 0;
  for (const nlohmann::json& t : list) {
    spans += t["spans"].get<size_t>();
    const nlohmann::json trace = store.Trace(t["trace_id"].get<std::string>());
    FUZZ_CHECK(!trace.is_null(), "listed trace %s not found", t["trace_id"].dump().c_str());
    Dump(trace);
  }
  FUZZ_CHECK(spans <= kMaxSpans, "%zu spans kept", spans);
  const nlohmann::json metrics = store.Metrics();
  Dump(metrics);
  FUZZ_CHECK(metrics["store"]["bytes"].get<size_t>() == store.bytes(), "byte counts differ");
}

}  // namespace
}  // namespace idgen

// protobuf logs every string field that is not UTF-8; at fuzzing rates
// that is most of the time spent.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using idgen::apphost::TelemetryStore;
  FuzzedDataProvider in(data, size);
  TelemetryStore store(TelemetryStore::Limits{.max_spans = idgen::kMaxSpans,
                                              .max_points = 4,
                                              .max_bytes = 16 * 1024,
                                              .max_value_bytes = 24});
  for (int i = 0; i < idgen::kMaxExports && in.remaining_bytes() > 0; ++i) {
    const int signal = in.ConsumeIntegralInRange<int>(0, 2);
    const std::string body = in.ConsumeBytesAsString(in.ConsumeIntegral<uint16_t>());
    if (signal == 0) {
      idgen::trace_v1::ExportTraceServiceRequest req;
      if (req.ParseFromString(body)) store.AddTraces(req);
    } else if (signal == 1) {
      idgen::metrics_v1::ExportMetricsServiceRequest req;
      if (req.ParseFromString(body)) store.AddMetrics(req);
    } else {
      idgen::logs_v1::ExportLogsServiceRequest req;
      if (req.ParseFromString(body)) store.AddLogs(req);
    }
  }
  idgen::Read(store);
  return 0;
}
