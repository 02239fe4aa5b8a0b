// Copyright idgen authors.
#include "src/server/grpc_limits.h"

#include <grpc/grpc.h>
#include <grpcpp/resource_quota.h>

#include "absl/strings/str_cat.h"

namespace idgen::server {
namespace {

[[nodiscard]] absl::Status OutOfRange(const char* field, int64_t value, int64_t min, int64_t max) {
  return absl::InvalidArgumentError(
      absl::StrCat("gRPC limit ", field, " must be in ", min, "..", max, ", got ", value));
}

int Millis(absl::Duration d) { return static_cast<int>(absl::ToInt64Milliseconds(d)); }

}  // namespace

absl::Status CheckGrpcLimits(const GrpcLimits& limits) {
  if (limits.max_concurrent_streams < 1 || limits.max_concurrent_streams > 1'000'000) {
    return OutOfRange("max_concurrent_streams", limits.max_concurrent_streams, 1, 1'000'000);
  }
  if (limits.memory_bytes < (int64_t{16} << 20) || limits.memory_bytes > (int64_t{1} << 40)) {
    return OutOfRange("memory_bytes", limits.memory_bytes, int64_t{16} << 20, int64_t{1} << 40);
  }
  if (limits.max_receive_message_bytes < 1024 || limits.max_receive_message_bytes > (64 << 20)) {
    return OutOfRange("max_receive_message_bytes", limits.max_receive_message_bytes, 1024,
                      64 << 20);
  }
  if (limits.max_metadata_bytes < 1024 || limits.max_metadata_bytes > (1 << 20)) {
    return OutOfRange("max_metadata_bytes", limits.max_metadata_bytes, 1024, 1 << 20);
  }
  if (limits.max_ping_strikes < 0 || limits.max_ping_strikes > 100) {
    return OutOfRange("max_ping_strikes", limits.max_ping_strikes, 0, 100);
  }
  const absl::Duration kMaxDuration = absl::Hours(24 * 24);  // fits an int of milliseconds
  for (const auto& [field, d] : {std::pair{"min_ping_interval", limits.min_ping_interval},
                                 std::pair{"max_connection_idle", limits.max_connection_idle}}) {
    if (d < absl::Milliseconds(1) || d > kMaxDuration) {
      return absl::InvalidArgumentError(absl::StrCat("gRPC limit ", field,
                                                     " must be between 1 ms and 24 days, got ",
                                                     absl::FormatDuration(d)));
    }
  }
  return absl::OkStatus();
}

void ApplyGrpcLimits(const GrpcLimits& limits, grpc::ServerBuilder* builder) {
  builder->AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, limits.max_concurrent_streams);
  builder->SetMaxReceiveMessageSize(limits.max_receive_message_bytes);
  builder->AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, limits.max_metadata_bytes);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                              Millis(limits.min_ping_interval));
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, limits.max_ping_strikes);
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, Millis(limits.max_connection_idle));
  grpc::ResourceQuota quota("idgen-grpc-server");
  quota.Resize(static_cast<size_t>(limits.memory_bytes));
  builder->SetResourceQuota(quota);
}

}  // namespace idgen::server
