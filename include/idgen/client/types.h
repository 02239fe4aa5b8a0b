// Copyright idgen authors.
//
// What the client library returns: plain values, no protobuf.
#ifndef IDGEN_CLIENT_TYPES_H_
#define IDGEN_CLIENT_TYPES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "idgen/id128.h"

namespace idgen::client {

// A NextIds answer: the namespace and scheme as the node named them, and
// the IDs, strictly increasing.
struct IdBlock {
  std::string ns;
  std::string scheme;  // "snowflake", "uuidv7", "ulid", ...
  std::vector<uint64_t> ids;
};

struct DecodedId {
  int64_t timestamp_ms = 0;  // Unix milliseconds
  uint64_t worker = 0;
  uint64_t sequence = 0;
  uint64_t tick = 0;  // time units since the layout's epoch
};

struct NamespaceInfo {
  std::string name;
  std::string scheme;
  uint32_t max_batch = 0;  // most IDs one call may ask for
};

struct NodeInfo {
  std::string node;
  int64_t worker_id = -1;
  // The worker ids this node may claim, both included (`--worker-ids`, or 0
  // to the layouts' highest).
  int64_t worker_id_min = 0;
  int64_t worker_id_max = 0;
  bool serving = false;
  std::string not_serving_reason;
  std::string version;
  std::vector<NamespaceInfo> namespaces;
};

}  // namespace idgen::client

#endif  // IDGEN_CLIENT_TYPES_H_
