// Copyright idgen authors.
#include "src/apphost/log_buffer.h"

#include <algorithm>

namespace idgen::apphost {

LogBuffer::LogBuffer(size_t max_lines, size_t max_line_bytes)
    : max_lines_(std::max<size_t>(1, max_lines)),
      max_line_bytes_(std::max<size_t>(8, max_line_bytes)) {}

void LogBuffer::Write(std::string_view stream, std::string_view bytes, int64_t unix_ms) {
  idgen::MutexLock lock(&mu_);
  std::string& partial = stream == "stderr" ? partial_err_ : partial_out_;
  size_t start = 0;
  while (start < bytes.size()) {
    const size_t nl = bytes.find('\n', start);
    if (nl == std::string_view::npos) {
      partial.append(bytes.substr(start));
      if (partial.size() > max_line_bytes_) {  // a runaway line: flush what we have
        AddLineLocked(stream, partial, unix_ms);
        partial.clear();
      }
      return;
    }
    partial.append(bytes.substr(start, nl - start));
    if (!partial.empty() && partial.back() == '\r') partial.pop_back();
    AddLineLocked(stream, partial, unix_ms);
    partial.clear();
    start = nl + 1;
  }
}

void LogBuffer::AddLine(std::string_view stream, std::string_view text, int64_t unix_ms) {
  idgen::MutexLock lock(&mu_);
  AddLineLocked(stream, text, unix_ms);
}

void LogBuffer::AddLineLocked(std::string_view stream, std::string_view text, int64_t unix_ms) {
  LogLine line;
  line.seq = next_seq_++;
  line.unix_ms = unix_ms;
  line.stream = std::string(stream);
  if (text.size() > max_line_bytes_) {
    line.text = std::string(text.substr(0, max_line_bytes_)) + "...";
  } else {
    line.text = std::string(text);
  }
  lines_.push_back(std::move(line));
  while (lines_.size() > max_lines_) lines_.pop_front();
}

std::vector<LogLine> LogBuffer::Since(int64_t after, size_t limit) const {
  idgen::MutexLock lock(&mu_);
  std::vector<LogLine> out;
  auto it = std::upper_bound(lines_.begin(), lines_.end(), after,
                             [](int64_t a, const LogLine& l) { return a < l.seq; });
  for (; it != lines_.end() && out.size() < limit; ++it) out.push_back(*it);
  return out;
}

int64_t LogBuffer::last_seq() const {
  idgen::MutexLock lock(&mu_);
  return next_seq_ - 1;
}

}  // namespace idgen::apphost
