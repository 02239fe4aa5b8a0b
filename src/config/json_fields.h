// Copyright idgen authors.
//
// Helpers for JSON configuration files (namespace config, app model): parse
// with comments allowed, reject unknown keys, read bounded integers, strings
// and booleans, and say where a problem is by key path ("nodes.count: must
// be between 1 and 16, got 0"). The caller prefixes the file's name.
#ifndef IDGEN_CONFIG_JSON_FIELDS_H_
#define IDGEN_CONFIG_JSON_FIELDS_H_

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace idgen::config {

using Json = nlohmann::json;

// INVALID_ARGUMENT "<path>: <what>".
absl::Status KeyError(const std::string& path, const std::string& what);
// JSON with // and /* */ comments. INVALID_ARGUMENT, never an exception:
//   "not valid JSON (at <path>): <position and reason>" for a syntax error;
//   "<path>: number out of range: ..." for a number beyond a double (1e400);
//   "<path>: key given twice in one object" (the first duplicate).
// <path> is the key path ("nodes.count", "namespaces[1].name").
absl::StatusOr<Json> ParseJson(const std::string& text);

// The largest configuration file read: far above any real one, small enough
// that a wrong path (/dev/zero, a log file) fails at once.
inline constexpr size_t kMaxConfigFileBytes = 4 * 1024 * 1024;

// The whole file (regular file, FIFO or pipe), at most `max_bytes`. Errors:
// NOT_FOUND "file <path> cannot be read: <reason>"; INVALID_ARGUMENT "file
// <path> is larger than <max_bytes> bytes (the limit)" as soon as more
// arrives. Blocks while a FIFO has no writer or is silent: call it before
// blocking SIGTERM/SIGINT so that a stuck read can still be stopped.
absl::StatusOr<std::string> ReadTextFile(const std::string& path,
                                         size_t max_bytes = kMaxConfigFileBytes);
// `path` + "." + `key`, or just `key` at the root (empty path).
std::string Child(const std::string& path, const std::string& key);
// `obj` must be an object whose keys are all in `allowed`.
absl::Status CheckKeys(const Json& obj, const std::string& path,
                       const std::set<std::string>& allowed);
// obj[key] as an integer in [min, max], or `fallback` if absent.
absl::StatusOr<int64_t> GetInt(const Json& obj, const std::string& key, const std::string& path,
                               int64_t min, int64_t max, int64_t fallback);
// obj[key] as a string, or `fallback` if absent.
absl::StatusOr<std::string> GetString(const Json& obj, const std::string& key,
                                      const std::string& path, const std::string& fallback);
// obj[key] as a boolean, or `fallback` if absent.
absl::StatusOr<bool> GetBool(const Json& obj, const std::string& key, const std::string& path,
                             bool fallback);

}  // namespace idgen::config

#endif  // IDGEN_CONFIG_JSON_FIELDS_H_
