// Copyright idgen authors.
#include "src/telemetry/prometheus_text.h"

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace idgen::telemetry {
namespace {

// UCUM units with a Prometheus word (the specification's table, the subset
// that matters here).
std::string_view UnitWord(std::string_view unit, bool per) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 14> kWords = {{
      {"d", "days"},
      {"h", "hours"},
      {"min", "minutes"},
      {"s", "seconds"},
      {"ms", "seconds"},  // values divided, see PrometheusUnitDivisor
      {"us", "seconds"},
      {"ns", "seconds"},
      {"By", "bytes"},
      {"KiBy", "kibibytes"},
      {"MiBy", "mebibytes"},
      {"KBy", "kilobytes"},
      {"MBy", "megabytes"},
      {"%", "percent"},
      {"Hz", "hertz"},
  }};
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kPer = {{
      {"s", "second"},
      {"m", "minute"},
      {"h", "hour"},
      {"d", "day"},
      {"min", "minute"},
  }};
  if (per) {
    for (const auto& [u, w] : kPer) {
      if (u == unit) return w;
    }
  }
  for (const auto& [u, w] : kWords) {
    if (u == unit) return w;
  }
  return unit;
}

// Removes "{...}" annotations.
std::string DropAnnotations(std::string_view unit) {
  std::string out;
  int depth = 0;
  for (char c : unit) {
    if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (depth > 0) --depth;
    } else if (depth == 0) {
      out += c;
    }
  }
  return out;
}

void AppendEscaped(std::string* out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '\n') {
      *out += "\\n";
    } else if (quote && c == '"') {
      *out += "\\\"";
    } else {
      *out += c;
    }
  }
}

void AppendLabels(std::string* out, const Attributes& attrs, const char* extra_name = nullptr,
                  const std::string& extra_value = "") {
  if (attrs.empty() && extra_name == nullptr) return;
  *out += '{';
  bool first = true;
  for (const auto& [key, value] : attrs) {
    if (!first) *out += ',';
    first = false;
    *out += SanitizePrometheusName(key, false);
    *out += "=\"";
    AppendEscaped(out, AttributeToString(value), true);
    *out += '"';
  }
  if (extra_name != nullptr) {
    if (!first) *out += ',';
    absl::StrAppend(out, extra_name, "=\"", extra_value, "\"");
  }
  *out += '}';
}

}  // namespace

double PrometheusUnitDivisor(std::string_view unit) {
  if (unit == "ms") return 1e3;
  if (unit == "us") return 1e6;
  if (unit == "ns") return 1e9;
  return 1;
}

std::string SanitizePrometheusName(std::string_view name, bool allow_colon) {
  if (name.empty()) return "_";
  std::string out;
  out.reserve(name.size() + 1);
  if (name[0] >= '0' && name[0] <= '9') out.push_back('_');
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || (allow_colon && c == ':');
    out.push_back(ok ? c : '_');
  }
  return out;
}

std::string PrometheusUnitSuffix(std::string_view unit, MetricKind kind) {
  const std::string clean = DropAnnotations(unit);
  if (clean.empty()) return "";
  if (clean == "1") return kind == MetricKind::kGauge ? "ratio" : "";
  const size_t slash = clean.find('/');
  if (slash != std::string::npos) {
    const std::string_view num = std::string_view(clean).substr(0, slash);
    const std::string_view den = std::string_view(clean).substr(slash + 1);
    if (den.empty()) return SanitizePrometheusName(UnitWord(num, false), false);
    if (num.empty() || num == "1") {
      return absl::StrCat("per_", SanitizePrometheusName(UnitWord(den, true), false));
    }
    return absl::StrCat(SanitizePrometheusName(UnitWord(num, false), false), "_per_",
                        SanitizePrometheusName(UnitWord(den, true), false));
  }
  return SanitizePrometheusName(UnitWord(clean, false), false);
}

std::string PrometheusName(const MetricData& metric) {
  std::string name = SanitizePrometheusName(metric.name, true);
  const std::string suffix = PrometheusUnitSuffix(metric.unit, metric.kind);
  if (!suffix.empty() && !absl::EndsWith(name, absl::StrCat("_", suffix))) {
    absl::StrAppend(&name, "_", suffix);
  }
  if (metric.kind == MetricKind::kCounter && !absl::EndsWith(name, "_total")) {
    absl::StrAppend(&name, "_total");
  }
  return name;
}

std::string PrometheusNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::array<char, 64> buf{};
  std::to_chars_result r{};
  if (v == std::trunc(v) && std::fabs(v) < 1e15) {
    r = std::to_chars(buf.data(), buf.data() + buf.size(), static_cast<int64_t>(v));
  } else {
    r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  }
  return {buf.data(), r.ptr};
}

std::string ToPrometheusText(const std::vector<MetricData>& metrics) {
  std::string out;
  for (const MetricData& m : metrics) {
    if (m.numbers.empty() && m.histograms.empty()) continue;
    const std::string name = PrometheusName(m);
    const char* type = m.kind == MetricKind::kCounter ? "counter"
                       : m.kind == MetricKind::kGauge ? "gauge"
                                                      : "histogram";
    absl::StrAppend(&out, "# HELP ", name, " ");
    AppendEscaped(&out, m.description.empty() ? m.name : m.description, false);
    absl::StrAppend(&out, "\n# TYPE ", name, " ", type, "\n");
    const double divisor = PrometheusUnitDivisor(m.unit);
    for (const NumberPoint& p : m.numbers) {
      out += name;
      AppendLabels(&out, p.attributes);
      absl::StrAppend(
          &out, " ",
          p.is_int && divisor == 1 ? absl::StrCat(p.as_int) : PrometheusNumber(p.value() / divisor),
          "\n");
    }
    for (const HistogramPoint& h : m.histograms) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i < h.buckets.size(); ++i) {
        cumulative += h.buckets[i];
        const std::string le =
            i < h.bounds.size() ? PrometheusNumber(h.bounds[i] / divisor) : "+Inf";
        absl::StrAppend(&out, name, "_bucket");
        AppendLabels(&out, h.attributes, "le", le);
        absl::StrAppend(&out, " ", cumulative, "\n");
      }
      absl::StrAppend(&out, name, "_sum");
      AppendLabels(&out, h.attributes);
      absl::StrAppend(&out, " ", PrometheusNumber(h.sum / divisor), "\n");
      absl::StrAppend(&out, name, "_count");
      AppendLabels(&out, h.attributes);
      absl::StrAppend(&out, " ", h.count, "\n");
    }
  }
  return out;
}

std::string PrometheusTargetInfo(const Attributes& resource) {
  std::string out =
      "# HELP target_info Target metadata\n"
      "# TYPE target_info gauge\n"
      "target_info";
  AppendLabels(&out, Canonical(resource));
  out += " 1\n";
  return out;
}

}  // namespace idgen::telemetry
