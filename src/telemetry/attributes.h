// Copyright idgen authors.
//
// Attributes: the key/value pairs carried by spans, log records and metric
// points, shaped like OpenTelemetry's attribute model (string, bool, int64,
// double values). Keys follow the semantic conventions (see
// docs/OBSERVABILITY.md for the version).
//
// Thread-safety: plain values.
#ifndef IDGEN_TELEMETRY_ATTRIBUTES_H_
#define IDGEN_TELEMETRY_ATTRIBUTES_H_

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace idgen::telemetry {

using AttributeValue = std::variant<std::string, bool, int64_t, double>;
using Attribute = std::pair<std::string, AttributeValue>;
// In insertion order; metric instruments sort them by key, so that
// {a,b} and {b,a} are one time series.
using Attributes = std::vector<Attribute>;

// The value as text: strings as they are, bools "true"/"false", numbers in
// their shortest round-trip form (used for Prometheus labels and text logs).
std::string AttributeToString(const AttributeValue& value);

// A copy of `attrs` sorted by key (stable: a repeated key keeps its first).
Attributes Canonical(Attributes attrs);

}  // namespace idgen::telemetry

#endif  // IDGEN_TELEMETRY_ATTRIBUTES_H_
