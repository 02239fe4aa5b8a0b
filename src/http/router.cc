// Copyright idgen authors.
#include "src/http/router.h"

#include <algorithm>

namespace idgen::http {
namespace {

bool IsMethodChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsParamName(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

std::string Quoted(std::string_view s) {
  std::string out = "\"";
  out.append(s).append("\"");
  return out;
}

}  // namespace

std::optional<std::string_view> PathParams::Get(std::string_view name) const {
  for (size_t i = 0; i < size_; ++i) {
    if (names_[i] == name) return values_[i];
  }
  return std::nullopt;
}

void PathParams::Add(std::string_view name, std::string_view raw_value) {
  names_[size_] = name;
  values_[size_] = raw_value;
  ++size_;
}

bool PathParams::Decode() {
  for (size_t i = 0; i < size_; ++i) {
    if (values_[i].find('%') == std::string_view::npos) continue;
    if (!PercentDecode(values_[i], /*plus_is_space=*/false, &decoded_[i])) return false;
    values_[i] = decoded_[i];
  }
  return true;
}

Router::Router(ErrorWriter error_writer) : error_writer_(std::move(error_writer)) {}

absl::Status Router::Add(std::string_view method, std::string_view pattern, RouteHandler handler) {
  Entry entry;
  entry.sync = std::move(handler);
  return AddEntry(method, pattern, std::move(entry));
}

absl::Status Router::AddAsync(std::string_view method, std::string_view pattern,
                              AsyncRouteHandler handler) {
  Entry entry;
  entry.async = std::move(handler);
  return AddEntry(method, pattern, std::move(entry));
}

absl::Status Router::AddEntry(std::string_view method, std::string_view pattern, Entry entry) {
  const std::string where = "route " + std::string(method) + " " + Quoted(pattern);
  if (method.empty() || !std::all_of(method.begin(), method.end(), IsMethodChar)) {
    return absl::InvalidArgumentError(where + ": method must be an HTTP token such as GET");
  }
  if (!entry.sync && !entry.async) return absl::InvalidArgumentError(where + ": handler is empty");
  if (pattern.empty() || pattern[0] != '/') {
    return absl::InvalidArgumentError(where + ": pattern must start with '/'");
  }
  Pattern parsed;
  parsed.text = std::string(pattern);
  size_t params = 0;
  std::string_view rest = pattern.substr(1);
  while (true) {
    const size_t slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    Segment segment;
    if (seg.find_first_of("{}") != std::string_view::npos) {
      if (seg.size() < 2 || seg.front() != '{' || seg.back() != '}' ||
          !IsParamName(seg.substr(1, seg.size() - 2))) {
        return absl::InvalidArgumentError(where + ": segment " + Quoted(seg) +
                                          " must be a literal or a whole {name} parameter");
      }
      segment.param = true;
      segment.text = std::string(seg.substr(1, seg.size() - 2));
      for (const Segment& s : parsed.segments) {
        if (s.param && s.text == segment.text) {
          return absl::InvalidArgumentError(where + ": parameter {" + segment.text +
                                            "} appears twice");
        }
      }
      if (++params > PathParams::kMaxParams) {
        return absl::InvalidArgumentError(where + ": more than " +
                                          std::to_string(PathParams::kMaxParams) + " parameters");
      }
    } else if (seg.find_first_of("?#") != std::string_view::npos) {
      return absl::InvalidArgumentError(where + ": pattern must not contain '?' or '#'");
    } else {
      segment.text = std::string(seg);
    }
    parsed.segments.push_back(std::move(segment));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }

  for (Pattern& existing : patterns_) {
    if (existing.segments.size() != parsed.segments.size()) continue;
    bool same_shape = true;
    for (size_t i = 0; i < parsed.segments.size() && same_shape; ++i) {
      const Segment& a = existing.segments[i];
      const Segment& b = parsed.segments[i];
      same_shape = a.param == b.param && (a.param || a.text == b.text);
    }
    if (!same_shape) continue;
    if (existing.text != parsed.text) {
      return absl::InvalidArgumentError(where + ": matches the same paths as " +
                                        Quoted(existing.text) + "; use the same parameter names");
    }
    const bool duplicate = std::any_of(existing.methods.begin(), existing.methods.end(),
                                       [method](const auto& m) { return m.first == method; });
    if (duplicate) {
      return absl::AlreadyExistsError(where + ": already registered");
    }
    existing.methods.emplace_back(std::string(method), std::move(entry));
    routes_.push_back({std::string(method), parsed.text});
    return absl::OkStatus();
  }

  parsed.methods.emplace_back(std::string(method), std::move(entry));
  patterns_.push_back(std::move(parsed));
  routes_.push_back({std::string(method), std::string(pattern)});
  // Shorter patterns first (only equal lengths can both match), then, at the
  // first segment where two differ, a literal before a parameter.
  std::stable_sort(patterns_.begin(), patterns_.end(), [](const Pattern& a, const Pattern& b) {
    if (a.segments.size() != b.segments.size()) return a.segments.size() < b.segments.size();
    for (size_t i = 0; i < a.segments.size(); ++i) {
      if (a.segments[i].param != b.segments[i].param) return !a.segments[i].param;
    }
    return false;
  });
  return absl::OkStatus();
}

bool Router::Match(const Pattern& pattern, std::string_view path, PathParams* params) {
  params->Clear();
  if (path.empty() || path[0] != '/') return false;
  // `pos` is where the next segment starts; path.size() + 1 means "no more".
  size_t pos = 1;
  for (const Segment& segment : pattern.segments) {
    if (pos > path.size()) return false;
    const size_t slash = path.find('/', pos);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    const std::string_view seg = path.substr(pos, end - pos);
    if (segment.param) {
      if (seg.empty()) return false;
      params->Add(segment.text, seg);
    } else if (seg != segment.text) {
      return false;
    }
    pos = end + 1;
  }
  return pos == path.size() + 1;
}

const Router::Entry* Router::Find(const Pattern& pattern, std::string_view method) {
  const Entry* get = nullptr;
  for (const auto& [m, handler] : pattern.methods) {
    if (m == method) return &handler;
    if (m == "GET") get = &handler;
  }
  return method == "HEAD" && pattern.head_from_get ? get : nullptr;
}

absl::Status Router::DisableHead(std::string_view pattern) {
  for (Pattern& p : patterns_) {
    if (p.text == pattern) {
      p.head_from_get = false;
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError("no route has the pattern " + Quoted(pattern));
}

void Router::Dispatch(const Request& req, Response& resp) const {
  PathParams params;
  const Entry* entry = Resolve(req, params, resp);
  if (entry == nullptr) return;
  if (entry->sync) return entry->sync(req, params, resp);
  WriteError(500, "asynchronous route dispatched synchronously", resp);
}

void Router::DispatchAsync(const Request& req, Response& resp, Done done) const {
  PathParams params;
  const Entry* entry = Resolve(req, params, resp);
  if (entry == nullptr) return done();
  if (entry->async) return entry->async(req, params, resp, std::move(done));
  entry->sync(req, params, resp);
  done();
}

std::string Router::RouteOf(std::string_view method, std::string_view path) const {
  PathParams params;
  for (const Pattern& pattern : patterns_) {
    if (Match(pattern, path, &params) && Find(pattern, method) != nullptr) return pattern.text;
  }
  return "";
}

const Router::Entry* Router::Resolve(const Request& req, PathParams& params, Response& resp) const {
  bool path_matched = false;
  for (const Pattern& pattern : patterns_) {
    if (!Match(pattern, req.path, &params)) continue;
    path_matched = true;
    const Entry* entry = Find(pattern, req.method);
    if (entry == nullptr) continue;
    if (!params.Decode()) {
      WriteError(400, "bad percent-encoding in path " + Quoted(req.path), resp);
      return nullptr;
    }
    return entry;
  }
  if (!path_matched) {
    WriteError(404, "no route for path " + Quoted(req.path), resp);
    return nullptr;
  }

  std::vector<std::string_view> allowed;
  for (const Pattern& pattern : patterns_) {
    if (!Match(pattern, req.path, &params)) continue;
    for (const auto& method : pattern.methods) {
      allowed.push_back(method.first);
      if (method.first == "GET" && pattern.head_from_get) allowed.emplace_back("HEAD");
    }
  }
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  std::string allow;
  for (std::string_view m : allowed) {
    if (!allow.empty()) allow.append(", ");
    allow.append(m);
  }
  WriteError(405,
             "method " + req.method + " is not allowed for path " + Quoted(req.path) +
                 "; allowed: " + allow,
             resp);
  resp.headers.emplace_back("Allow", std::move(allow));
  return nullptr;
}

Handler Router::AsHandler() const {
  return [this](const Request& req, Response& resp) { Dispatch(req, resp); };
}

AsyncHandler Router::AsAsyncHandler() const {
  return [this](const Request& req, Response& resp, Done done) {
    DispatchAsync(req, resp, std::move(done));
  };
}

void Router::WriteError(int status, std::string_view detail, Response& resp) const {
  if (error_writer_) {
    error_writer_(status, detail, resp);
  } else {
    WritePlainError(status, detail, resp);
  }
}

}  // namespace idgen::http
