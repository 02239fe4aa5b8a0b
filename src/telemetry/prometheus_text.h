// Copyright idgen authors.
//
// Prometheus text exposition format 0.0.4 for MetricData snapshots, with
// OpenTelemetry -> Prometheus naming as the OpenTelemetry specification's
// Prometheus compatibility section describes:
//   * characters outside [a-zA-Z0-9_:] become '_' ("rpc.server.duration"
//     -> "rpc_server_duration"); label names likewise (no ':');
//   * the unit becomes a suffix unless the name already ends with it:
//     "s" -> "_seconds", "By" -> "_bytes", "x/y" ->
//     "_x_per_y"; annotations in braces ("{id}") are dropped; "1" becomes
//     "_ratio" on gauges and nothing elsewhere;
//   * deviation, for Prometheus' base-unit rule (promtool lints it): "ms",
//     "us" and "ns" become "_seconds" and values and bucket bounds are
//     scaled to seconds (rpc.server.duration in ms -> rpc_server_duration_seconds);
//   * counters get "_total"; histograms give `_bucket{le="..."}` (cumulative,
//     ending with le="+Inf"), `_sum` and `_count`.
// Every family has `# HELP` and `# TYPE` lines; HELP text escapes '\' and
// newline, label values escape '\', '"' and newline.
//
// Thread-safety: pure functions.
#ifndef IDGEN_TELEMETRY_PROMETHEUS_TEXT_H_
#define IDGEN_TELEMETRY_PROMETHEUS_TEXT_H_

#include <string>
#include <string_view>
#include <vector>

#include "src/telemetry/metric_data.h"

namespace idgen::telemetry {

// The Content-Type of the format.
inline constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// The Prometheus family name of a metric ("rpc_server_duration_seconds",
// "idgen_ids_issued_total").
std::string PrometheusName(const MetricData& metric);

// The suffix a UCUM unit becomes ("" when none), for `kind`.
std::string PrometheusUnitSuffix(std::string_view unit, MetricKind kind);

// Characters outside [a-zA-Z0-9_] (and ':' when `allow_colon`) become '_';
// a leading digit gets a '_' in front.
std::string SanitizePrometheusName(std::string_view name, bool allow_colon);

// What a value in `unit` is divided by for the exposed unit (1000 for ms).
double PrometheusUnitDivisor(std::string_view unit);

// A sample value: integers as integers, doubles in shortest round-trip form,
// "+Inf", "-Inf", "NaN".
std::string PrometheusNumber(double v);

// The whole exposition of `metrics`. Families with no points are left out.
std::string ToPrometheusText(const std::vector<MetricData>& metrics);

// The `target_info` family the specification defines for resource
// attributes: one gauge sample of 1 with the attributes as labels.
std::string PrometheusTargetInfo(const Attributes& resource);

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_PROMETHEUS_TEXT_H_
