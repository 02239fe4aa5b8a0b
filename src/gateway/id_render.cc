// Copyright idgen authors.
#include "src/gateway/id_render.h"

#include <cstring>

#include <nlohmann/json.hpp>

#include "absl/time/time.h"
#include "idgen/id128.h"
#include "idgen/ulid_generator.h"
#include "idgen/uuidv7_generator.h"

namespace idgen::gateway {

std::string RenderIds(const v1::NextIdsResponse& response, IdFormat format) {
  nlohmann::ordered_json j;
  j["namespace"] = response.namespace_();
  j["scheme"] = response.scheme();
  nlohmann::ordered_json ids = nlohmann::ordered_json::array();
  if (response.ids128_size() > 0) {
    const bool ulid = response.scheme() == "ulid";
    j["format"] = ulid ? "ulid" : "uuid";
    for (const std::string& bytes : response.ids128()) {
      Id128 id{};
      std::memcpy(id.data(), bytes.data(), std::min(bytes.size(), id.size()));
      ids.push_back(ulid ? FormatUlid(id) : FormatUuid(id));
    }
  } else {
    j["format"] = std::string(IdFormatName(format));
    char buf[kMaxIdTextLength];
    for (const uint64_t id : response.ids()) {
      ids.push_back(std::string(buf, FormatIdTo(id, format, buf)));
    }
  }
  j["ids"] = std::move(ids);
  return j.dump();
}

std::string IsoTimestamp(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E3SZ", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

std::string RenderDecode(std::string_view ns, std::string_view id_text,
                         const v1::DecodeResponse& decoded) {
  nlohmann::ordered_json j;
  j["namespace"] = std::string(ns);
  j["id"] = std::string(id_text);
  j["timestamp_ms"] = decoded.timestamp_ms();
  j["timestamp"] = IsoTimestamp(decoded.timestamp_ms());
  j["worker"] = decoded.worker();
  j["sequence"] = decoded.sequence();
  j["tick"] = decoded.tick();
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace idgen::gateway
