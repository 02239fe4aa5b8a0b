// Copyright idgen authors.
//
// LogBuffer: the last lines a resource wrote (stdout and stderr), kept in
// memory with a cap, each with a sequence number so that a reader (the
// dashboard) can ask for "everything after line N" and follow the log live.
//
// Thread-safety: all methods may be called concurrently.
#ifndef IDGEN_APPHOST_LOG_BUFFER_H_
#define IDGEN_APPHOST_LOG_BUFFER_H_

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "idgen/internal/mutex.h"

namespace idgen::apphost {

struct LogLine {
  int64_t seq = 0;      // 1, 2, 3, ... per buffer; never reused
  int64_t unix_ms = 0;  // when the line was complete
  std::string stream;   // "stdout", "stderr" or "apphost"
  std::string text;     // without the newline
};

class LogBuffer {
 public:
  // Keeps at most `max_lines` lines; a line longer than `max_line_bytes` is
  // cut there (and marked with "...").
  explicit LogBuffer(size_t max_lines = 2000, size_t max_line_bytes = 4096);

  // Appends raw output of `stream`; complete lines are stored, a trailing
  // partial line waits for the rest (per stream).
  void Write(std::string_view stream, std::string_view bytes, int64_t unix_ms);
  // Appends one whole line.
  void AddLine(std::string_view stream, std::string_view text, int64_t unix_ms);
  // Lines with seq > after, oldest first, at most `limit`.
  std::vector<LogLine> Since(int64_t after, size_t limit = 1000) const;
  // The seq of the newest line (0 if none).
  int64_t last_seq() const;

 private:
  void AddLineLocked(std::string_view stream, std::string_view text, int64_t unix_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_lines_;
  const size_t max_line_bytes_;
  mutable idgen::Mutex mu_;
  std::deque<LogLine> lines_ ABSL_GUARDED_BY(mu_);
  int64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  std::string partial_out_ ABSL_GUARDED_BY(mu_);
  std::string partial_err_ ABSL_GUARDED_BY(mu_);
};

}  // namespace idgen::apphost

#endif  // IDGEN_APPHOST_LOG_BUFFER_H_
