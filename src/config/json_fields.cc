// Copyright idgen authors.
#include "src/config/json_fields.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/config/json_key_path.h"

namespace idgen::config {

absl::Status KeyError(const std::string& path, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(path.empty() ? "(root)" : path, ": ", what));
}

namespace {

absl::StatusOr<std::string> ReadAll(int fd, const std::string& path, size_t max_bytes) {
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::NotFoundError(
          absl::StrCat("file ", path, " cannot be read: ", std::strerror(errno)));
    }
    if (n == 0) return text;
    if (text.size() + static_cast<size_t>(n) > max_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("file ", path, " is larger than ", max_bytes, " bytes (the limit)"));
    }
    text.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

absl::StatusOr<Json> ParseJson(const std::string& text) {
  JsonKeyPath tracker;
  const Json::parser_callback_t callback = [&tracker](int depth, Json::parse_event_t event,
                                                      Json& parsed) {
    return tracker.OnEvent(depth, event, parsed);
  };
  // With exceptions, for the position of an error; none leaves this function.
  try {
    Json root = Json::parse(text, callback, /*allow_exceptions=*/true, /*ignore_comments=*/true);
    if (!tracker.duplicate().empty()) {
      return KeyError(tracker.duplicate(), "key given twice in one object");
    }
    return root;
  } catch (const JsonKeyPath::TooDeep&) {
    return KeyError(tracker.Path(), absl::StrCat("nested deeper than ", JsonKeyPath::kMaxDepth,
                                                 " objects or arrays"));
  } catch (const Json::out_of_range& e) {
    // A number too large for a double (1e400).
    return KeyError(tracker.Path(), absl::StrCat("number out of range: ", e.what()));
  } catch (const Json::exception& e) {
    const std::string where = tracker.Path();
    return absl::InvalidArgumentError(absl::StrCat(
        "not valid JSON", where.empty() ? "" : absl::StrCat(" (at ", where, ")"), ": ", e.what()));
  }
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path, size_t max_bytes) {
  // O_NONBLOCK is not used: a FIFO or a pipe from a shell (<(...)) is a
  // fine source, and waiting on one is cut short by SIGTERM (callers read
  // before blocking the signal).
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(
        absl::StrCat("file ", path, " cannot be read: ", std::strerror(errno)));
  }
  absl::StatusOr<std::string> text = ReadAll(fd, path, max_bytes);
  close(fd);
  return text;
}

std::string Child(const std::string& path, const std::string& key) {
  return path.empty() ? key : absl::StrCat(path, ".", key);
}

absl::Status CheckKeys(const Json& obj, const std::string& path,
                       const std::set<std::string>& allowed) {
  if (!obj.is_object()) return KeyError(path, "must be an object");
  for (const auto& [key, value] : obj.items()) {
    if (allowed.count(key) == 0) {
      return KeyError(Child(path, key),
                      absl::StrCat("unknown key; allowed keys: ", absl::StrJoin(allowed, ", ")));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> GetInt(const Json& obj, const std::string& key, const std::string& path,
                               int64_t min, int64_t max, int64_t fallback) {
  if (!obj.contains(key)) return fallback;
  const Json& v = obj.at(key);
  const std::string p = Child(path, key);
  if (!v.is_number_integer()) return KeyError(p, "must be an integer");
  // Above INT64_MAX the JSON value is unsigned: as int64_t it would wrap to
  // a negative number, in the check and in the message.
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return KeyError(
        p, absl::StrCat("must be between ", min, " and ", max, ", got ", v.get<uint64_t>()));
  }
  const int64_t n = v.get<int64_t>();
  if (n < min || n > max) {
    return KeyError(p, absl::StrCat("must be between ", min, " and ", max, ", got ", n));
  }
  return n;
}

absl::StatusOr<std::string> GetString(const Json& obj, const std::string& key,
                                      const std::string& path, const std::string& fallback) {
  if (!obj.contains(key)) return fallback;
  const Json& v = obj.at(key);
  if (!v.is_string()) return KeyError(Child(path, key), "must be a string");
  return v.get<std::string>();
}

absl::StatusOr<bool> GetBool(const Json& obj, const std::string& key, const std::string& path,
                             bool fallback) {
  if (!obj.contains(key)) return fallback;
  const Json& v = obj.at(key);
  if (!v.is_boolean()) return KeyError(Child(path, key), "must be true or false");
  return v.get<bool>();
}

}  // namespace idgen::config
