// Copyright idgen authors.
#include "src/config/json_key_path.h"

#include "absl/strings/str_cat.h"
#include "src/config/json_fields.h"

namespace idgen::config {

using Json = nlohmann::json;

bool JsonKeyPath::OnEvent(int /*depth*/, Json::parse_event_t event, const Json& parsed) {
  switch (event) {
    case Json::parse_event_t::object_start:
    case Json::parse_event_t::array_start:
      if (frames_.size() >= kMaxDepth) throw TooDeep{};
      frames_.push_back(Frame{event == Json::parse_event_t::object_start, {}, {}, 0});
      break;
    case Json::parse_event_t::key: {
      Frame& top = frames_.back();
      top.key = parsed.get<std::string>();
      if (!top.keys.insert(top.key).second && duplicate_.empty()) duplicate_ = Path();
      break;
    }
    case Json::parse_event_t::object_end:
    case Json::parse_event_t::array_end:
      frames_.pop_back();
      ValueDone();
      break;
    case Json::parse_event_t::value:
      ValueDone();
      break;
  }
  return true;
}

std::string JsonKeyPath::Path() const {
  std::string path;
  for (const Frame& f : frames_) {
    if (f.object) {
      path = Child(path, f.key);
    } else {
      absl::StrAppend(&path, "[", f.index, "]");
    }
  }
  return path;
}

}  // namespace idgen::config
