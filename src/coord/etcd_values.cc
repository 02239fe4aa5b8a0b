// Copyright idgen authors.
#include "src/coord/etcd_values.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "idgen/codec.h"

namespace idgen::coord {
namespace {

absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace

std::optional<int64_t> WorkerIdOfKey(std::string_view key, std::string_view prefix) {
  if (key.size() <= prefix.size() || key.substr(0, prefix.size()) != prefix) return std::nullopt;
  const std::string_view digits = key.substr(prefix.size());
  if (digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  int64_t id = 0;
  if (!absl::SimpleAtoi(Absl(digits), &id)) return std::nullopt;
  return id;
}

absl::StatusOr<int64_t> ParseReservationValue(std::string_view key, std::string_view value) {
  int64_t ms = 0;
  if (!absl::SimpleAtoi(Absl(value), &ms) || ms < 0) {
    return absl::DataLossError(absl::StrCat(
        "etcd key ", QuoteForMessage(key), " holds ", QuoteForMessage(value),
        ", not a Unix millisecond count; refusing to guess a floor. Restore it, or delete it "
        "only if no ID under this worker id was issued with a later timestamp than now"));
  }
  return ms;
}

absl::StatusOr<uint64_t> ParseCounterValue(std::string_view key, std::string_view value,
                                           uint64_t max_next) {
  uint64_t next = 0;
  if (!absl::SimpleAtoi(Absl(value), &next) || next > max_next) {
    return absl::DataLossError(absl::StrCat("etcd key ", QuoteForMessage(key), " holds ",
                                            QuoteForMessage(value),
                                            ", not a segment counter; fix or delete it"));
  }
  return next;
}

}  // namespace idgen::coord
