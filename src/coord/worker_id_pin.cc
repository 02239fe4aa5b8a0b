// Copyright idgen authors.
#include "src/coord/worker_id_pin.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace idgen::coord {

absl::Status CompareWithPinnedRange(const std::optional<WorkerIdRange>& range,
                                    const std::string& recorded, const std::string& where) {
  const std::string text(absl::StripAsciiWhitespace(recorded));
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<WorkerIdRange> pinned = ParseWorkerIdRange(text);
  if (!pinned.ok()) {
    return absl::DataLossError(absl::StrCat(where, " holds \"", text,
                                            "\", which is not a worker-id range LO-HI; fix or "
                                            "remove it"));
  }
  if (!range) {
    return absl::InvalidArgumentError(
        absl::StrCat("this cluster issues only worker ids ", pinned->ToString(), " (recorded in ",
                     where, "): start this node with --worker-ids ", pinned->ToString()));
  }
  if (!(*range == *pinned)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--worker-ids ", range->ToString(), " differs from ", pinned->ToString(),
        ", the range this cluster was started with (recorded in ", where,
        "): every node of a cluster takes the same range, and clusters on other etcds take "
        "ranges that do not overlap it"));
  }
  return absl::OkStatus();
}

absl::Status PinWorkerIdsInDir(const std::string& workers_dir,
                               const std::optional<WorkerIdRange>& range) {
  const std::string path = absl::StrCat(workers_dir, "/worker-ids");
  std::string recorded;
  {
    std::ifstream in(path);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      recorded = ss.str();
    } else if (errno != ENOENT) {
      return absl::FailedPreconditionError(absl::StrCat("read ", path, ": ", std::strerror(errno)));
    }
  }
  if (absl::Status s = CompareWithPinnedRange(range, recorded, path); !s.ok()) return s;
  if (!range || !absl::StripAsciiWhitespace(recorded).empty()) return absl::OkStatus();
  const std::string tmp = absl::StrCat(path, ".tmp");
  const std::string line = absl::StrCat(range->ToString(), "\n");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::InternalError(absl::StrCat("open ", tmp, ": ", std::strerror(errno)));
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                       ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = written ? errno : err;
    (void)::unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat("write ", path, ": ", std::strerror(e)));
  }
  return absl::OkStatus();
}

}  // namespace idgen::coord
