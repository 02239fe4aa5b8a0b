// Copyright idgen authors.
//
// JsonKeyPath: follows an nlohmann::json parse through its parser callback
// to know the key path of the value being read ("a.b", "list[2]"). It is
// the one place that refuses a key given twice in one object (a plain parse
// keeps the last one, so a document could mean one thing to idgen and
// another to whatever checked it first) and bounds nesting, for
// configuration files (json_fields.h) and request bodies (the gateway).
//
//   JsonKeyPath path;
//   Json j = Json::parse(text, path.Callback(), /*allow_exceptions=*/false);
//   if (!path.duplicate().empty()) ...   // "a.b": the first key given twice
//
// Nesting deeper than kMaxDepth objects/arrays throws JsonKeyPath::TooDeep
// out of the parse (nothing real nests that deep; a body of '[' would cost
// memory for nothing): catch it.
//
// Thread-safety: one parse at a time.
#ifndef IDGEN_CONFIG_JSON_KEY_PATH_H_
#define IDGEN_CONFIG_JSON_KEY_PATH_H_

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace idgen::config {

class JsonKeyPath {
 public:
  struct TooDeep {};
  static constexpr size_t kMaxDepth = 64;

  // The parser callback; never discards anything.
  bool OnEvent(int depth, nlohmann::json::parse_event_t event, const nlohmann::json& parsed);
  // OnEvent as a callback for nlohmann::json::parse; `this` must outlive it.
  nlohmann::json::parser_callback_t Callback() {
    return [this](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
      return OnEvent(depth, event, parsed);
    };
  }

  // The path of the first key given twice ("" if none).
  const std::string& duplicate() const { return duplicate_; }
  // Where the parser is: "a.b" (after key b of object a), "list[2]".
  std::string Path() const;

 private:
  struct Frame {
    bool object;
    std::set<std::string> keys;  // objects: the keys seen so far
    std::string key;             // objects: the key being read
    size_t index;                // arrays: the element being read
  };
  void ValueDone() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
  }

  std::vector<Frame> frames_;
  std::string duplicate_;
};

}  // namespace idgen::config

#endif  // IDGEN_CONFIG_JSON_KEY_PATH_H_
