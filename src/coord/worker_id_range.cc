// Copyright idgen authors.
#include "src/coord/worker_id_range.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace idgen::coord {

std::string WorkerIdRange::ToString() const { return absl::StrCat(lo, "-", hi); }

absl::StatusOr<WorkerIdRange> ParseWorkerIdRange(absl::string_view text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, '-');
  WorkerIdRange r;
  // SimpleAtoi would take a sign and blanks; a range is digits only.
  auto digits = [](absl::string_view s) {
    if (s.empty() || s.size() > 18) return false;
    for (const char c : s) {
      if (c < '0' || c > '9') return false;
    }
    return true;
  };
  if (parts.size() != 2 || !digits(parts[0]) || !digits(parts[1]) ||
      !absl::SimpleAtoi(parts[0], &r.lo) || !absl::SimpleAtoi(parts[1], &r.hi)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--worker-ids \"", text, "\": expected LO-HI, two whole numbers such as 0-511"));
  }
  if (r.lo > r.hi) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--worker-ids ", text, " is empty: LO must not be above HI (both are included)"));
  }
  return r;
}

absl::Status CheckWorkerIdRange(const WorkerIdRange& range, int64_t layout_workers) {
  if (range.hi >= layout_workers) {
    return absl::InvalidArgumentError(
        absl::StrCat("--worker-ids ", range.ToString(),
                     " does not fit the layout: the worker bits of the "
                     "snowflake namespaces served allow worker ids 0-",
                     layout_workers - 1));
  }
  return absl::OkStatus();
}

}  // namespace idgen::coord
