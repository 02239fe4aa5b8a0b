// Copyright idgen authors.
//
// IdNamespace: one configured namespace of a node and the generator behind
// it (snowflake, UUIDv7 or ULID). Translates between the protobuf API and the
// core generators and validates requests: count in 1..max_batch, IDs that
// fit the namespace's layout.
//
// Thread-safety: all methods may be called concurrently.
#ifndef IDGEN_SERVER_ID_NAMESPACE_H_
#define IDGEN_SERVER_ID_NAMESPACE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "idgen/clock.h"
#include "idgen/random.h"
#include "idgen/snowflake_generator.h"
#include "idgen/ulid_generator.h"
#include "idgen/uuidv7_generator.h"
#include "idgen/v1/idgen.pb.h"
#include "src/server/server_config.h"

namespace idgen::server {

// Decodes an ID of the namespace described by `config` (needs no generator).
[[nodiscard]] absl::Status DecodeId(const NamespaceConfig& config, const v1::DecodeRequest& request,
                                    v1::DecodeResponse* out);
// Name, scheme, max batch and layout: what GetInfo shows without a generator.
void FillNamespaceConfigInfo(const NamespaceConfig& config, v1::NamespaceInfo* info);

class IdNamespace {
 public:
  // `floor_unix_ms`: snowflake IDs carry ticks strictly above it;
  // `reserved_unix_ms`: and never above this (raised later by the keeper).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<IdNamespace>> Create(
      const NamespaceConfig& config, int64_t worker, int64_t floor_unix_ms,
      int64_t reserved_unix_ms, Clock* clock, RandomSource* random);

  const NamespaceConfig& config() const { return config_; }
  const std::string& name() const { return config_.name; }

  // Fills `out` with `count` IDs. INVALID_ARGUMENT for count 0,
  // RESOURCE_EXHAUSTED above max_batch, generator errors otherwise.
  [[nodiscard]] absl::Status Next(uint32_t count, v1::NextIdsResponse* out);
  [[nodiscard]] absl::Status NextOne(v1::NextIdResponse* out);
  [[nodiscard]] absl::Status Decode(const v1::DecodeRequest& request,
                                    v1::DecodeResponse* out) const;

  // Snowflake only (no-ops otherwise).
  void SetReservedUntil(int64_t unix_ms);
  // Unix ms of the last issued snowflake tick; 0 for other schemes.
  int64_t last_issued_unix_ms() const;
  // True when the generator refuses because the clock is too far behind.
  bool clock_refusing() const;
  SnowflakeGenerator* snowflake() const { return snowflake_.get(); }

  void FillInfo(v1::NamespaceInfo* info) const;

 private:
  explicit IdNamespace(NamespaceConfig config) : config_(std::move(config)) {}
  [[nodiscard]] absl::Status CheckCount(uint32_t count) const;

  const NamespaceConfig config_;
  std::unique_ptr<SnowflakeGenerator> snowflake_;
  std::unique_ptr<UuidV7Generator> uuidv7_;
  std::unique_ptr<UlidGenerator> ulid_;
};

}  // namespace idgen::server

#endif  // IDGEN_SERVER_ID_NAMESPACE_H_
