// Copyright idgen authors.
#include "src/coord/file_lease_provider.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "idgen/internal/mutex.h"
#include "src/base/status_macros.h"

namespace idgen::coord {
namespace {

std::string ErrnoText(int err) { return std::string(std::strerror(err)); }

[[nodiscard]] absl::Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat("write ", path, ": ", ErrnoText(errno)));
    }
    off += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Replaces `path` with `contents` so that after a crash either the old or the
// new contents are there, and the new ones are durable once this returns.
[[nodiscard]] absl::Status DurableReplace(const std::string& path, const std::string& contents,
                                          int dir_fd) {
  const std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::InternalError(absl::StrCat("open ", tmp, ": ", ErrnoText(errno)));
  absl::Status s = WriteAll(fd, contents, tmp);
  if (s.ok() && ::fsync(fd) != 0) {
    s = absl::InternalError(absl::StrCat("fsync ", tmp, ": ", ErrnoText(errno)));
  }
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    s = absl::InternalError(absl::StrCat("rename ", tmp, " -> ", path, ": ", ErrnoText(errno)));
  }
  if (s.ok() && ::fsync(dir_fd) != 0) {
    s = absl::InternalError(absl::StrCat("fsync directory of ", path, ": ", ErrnoText(errno)));
  }
  if (!s.ok()) ::unlink(tmp.c_str());
  return s;
}

class FileWorkerLease final : public WorkerLease {
 public:
  FileWorkerLease(int64_t id, int lock_fd, int dir_fd, std::string reservation_path, int64_t floor)
      : id_(id),
        lock_fd_(lock_fd),
        dir_fd_(dir_fd),
        reservation_path_(std::move(reservation_path)),
        floor_(floor),
        reserved_(floor) {}

  ~FileWorkerLease() override { (void)Release(); }

  int64_t worker_id() const override { return id_; }
  int64_t floor_unix_ms() const override { return floor_; }

  absl::Status Reserve(int64_t unix_ms) override {
    idgen::MutexLock lock(&mu_);
    if (released_) {
      return absl::FailedPreconditionError(
          absl::StrCat("worker id ", id_, " was released; cannot raise its reservation"));
    }
    if (unix_ms <= reserved_) return absl::OkStatus();
    absl::Status s = DurableReplace(reservation_path_,
                                    absl::StrCat("reserved_until_ms ", unix_ms, "\n"), dir_fd_);
    if (!s.ok()) return s;
    reserved_ = unix_ms;
    return absl::OkStatus();
  }

  absl::Status Settle(int64_t unix_ms) override {
    idgen::MutexLock lock(&mu_);
    if (released_) {
      return absl::FailedPreconditionError(
          absl::StrCat("worker id ", id_, " was released; cannot settle its reservation"));
    }
    if (unix_ms < floor_) {
      return absl::InvalidArgumentError(absl::StrCat("cannot settle the reservation of worker id ",
                                                     id_, " at ", unix_ms,
                                                     " ms, below the floor of ", floor_, " ms"));
    }
    absl::Status s = DurableReplace(reservation_path_,
                                    absl::StrCat("reserved_until_ms ", unix_ms, "\n"), dir_fd_);
    if (!s.ok()) return s;
    reserved_ = unix_ms;
    return absl::OkStatus();
  }

  int64_t reserved_unix_ms() const override {
    idgen::MutexLock lock(&mu_);
    return reserved_;
  }

  // Lock-free: the server asks this on every request.
  bool Held() const override { return !released_flag_.load(std::memory_order_acquire); }

  LeaseStatus Status() const override {
    idgen::MutexLock lock(&mu_);
    return {.backend = "file",
            .state = released_ ? "released" : "held",
            .lease_id = 0,
            .ttl_left_ms = -1,
            .detail = absl::StrCat("reservation in ", reservation_path_)};
  }

  absl::Status Release() override {
    idgen::MutexLock lock(&mu_);
    if (released_) return absl::OkStatus();
    released_ = true;
    released_flag_.store(true, std::memory_order_release);
    // Clear the holder line before unlocking so nobody reads a stale owner.
    if (::ftruncate(lock_fd_, 0) != 0) {
      // Harmless: the next holder overwrites it.
    }
    ::flock(lock_fd_, LOCK_UN);
    ::close(lock_fd_);
    ::close(dir_fd_);
    return absl::OkStatus();
  }

 private:
  const int64_t id_;
  const int lock_fd_;
  const int dir_fd_;
  const std::string reservation_path_;
  const int64_t floor_;
  mutable idgen::Mutex mu_;
  int64_t reserved_ ABSL_GUARDED_BY(mu_);
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> released_flag_{false};  // mirrors released_ for Held()
};

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

absl::StatusOr<int64_t> ReadReservationFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return 0;
  std::string text = ReadSmallFile(path);
  absl::string_view v = absl::StripAsciiWhitespace(text);
  int64_t ms = 0;
  if (!absl::ConsumePrefix(&v, "reserved_until_ms ") || !absl::SimpleAtoi(v, &ms) || ms < 0) {
    return absl::DataLossError(absl::StrCat(
        "reservation file ", path, " is corrupt (\"", text,
        "\"); refusing to guess a floor. Restore it, or delete it only if no ID under this "
        "worker id was issued with a later timestamp than now"));
  }
  return ms;
}

absl::StatusOr<std::unique_ptr<FileLeaseProvider>> FileLeaseProvider::Create(
    const std::string& state_dir) {
  if (state_dir.empty()) return absl::InvalidArgumentError("state dir must not be empty");
  const std::string workers = absl::StrCat(state_dir, "/workers");
  std::error_code ec;
  std::filesystem::create_directories(workers, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create state dir ", workers, ": ", ec.message()));
  }
  if (::access(workers.c_str(), W_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("state dir ", workers, " is not writable: ", ErrnoText(errno)));
  }
  return std::unique_ptr<FileLeaseProvider>(new FileLeaseProvider(workers));
}

absl::StatusOr<std::unique_ptr<WorkerLease>> FileLeaseProvider::Acquire(
    const AcquireOptions& options) {
  IDGEN_RETURN_IF_ERROR(ValidateAcquireOptions(options));
  const int64_t first = options.worker_id.value_or(options.min_worker);
  const int64_t last = options.worker_id.value_or(options.max_workers - 1);
  for (int64_t id = first; id <= last; ++id) {
    const std::string lock_path = absl::StrCat(workers_dir_, "/", id, ".lock");
    const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("open ", lock_path, ": ", ErrnoText(errno)));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd);
      if (err != EWOULDBLOCK) {
        return absl::FailedPreconditionError(
            absl::StrCat("flock ", lock_path, ": ", ErrnoText(err)));
      }
      if (options.worker_id) {
        std::string holder(absl::StripAsciiWhitespace(ReadSmallFile(lock_path)));
        return absl::AlreadyExistsError(absl::StrCat(
            "worker id ", id, " is already held (", holder.empty() ? "holder unknown" : holder,
            "); choose another --worker-id or omit it to take the first free one"));
      }
      continue;
    }
    const std::string reservation_path = absl::StrCat(workers_dir_, "/", id, ".reservation");
    absl::StatusOr<int64_t> floor = ReadReservationFile(reservation_path);
    if (!floor.ok()) {
      ::flock(fd, LOCK_UN);
      ::close(fd);
      return floor.status();
    }
    const std::string holder = absl::StrCat("node=", options.node_name, " pid=", ::getpid(),
                                            " address=", options.node_address, "\n");
    if (::ftruncate(fd, 0) == 0) (void)::pwrite(fd, holder.data(), holder.size(), 0);
    const int dir_fd = ::open(workers_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
      ::flock(fd, LOCK_UN);
      ::close(fd);
      return absl::FailedPreconditionError(
          absl::StrCat("open ", workers_dir_, ": ", ErrnoText(errno)));
    }
    return std::unique_ptr<WorkerLease>(
        new FileWorkerLease(id, fd, dir_fd, reservation_path, *floor));
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("all ", options.max_workers - options.min_worker, " worker ids in ",
                   workers_dir_, " (", options.min_worker, "-", options.max_workers - 1,
                   ") are held by live nodes; stop a node or use a layout with more worker bits"));
}

}  // namespace idgen::coord
