// Copyright idgen authors.
//
// GrpcLimits: what one client may make a gRPC listener hold (a node's, and
// the AppHost's OTLP receiver's).
//
// Debian 12's gRPC (1.51) lacks the upstream fixes for HTTP/2 floods (rapid
// reset, CVE-2023-44487; endless CONTINUATION frames), and by default it
// advertises no stream limit and lets answers pile up unread. These bounds
// are what 1.51 lets a server set; docs/SECURITY.md gives the memory each
// attack reaches with and without them. What they cannot bound is kept away
// from strangers instead: a node refuses to listen beyond loopback without
// --insecure (config::IsLocalOnly).
//
//   * max_concurrent_streams: SETTINGS_MAX_CONCURRENT_STREAMS, per connection.
//     StreamIds needs one stream per client stream; the gateway a few per
//     node. Streams above it are refused (REFUSED_STREAM).
//   * memory_bytes: a grpc::ResourceQuota for the server's transports. Under
//     pressure gRPC stops reading from connections and, near the limit,
//     closes the ones holding the most.
//   * max_receive_message_bytes: every request of the API is a few bytes.
//   * max_metadata_bytes: the header list of one request.
//   * min_ping_interval and max_ping_strikes: keepalive enforcement; a client
//     that pings more often gets GOAWAY (too_many_pings).
//   * max_connection_idle: a connection without calls this long is closed.
//
// Thread-safety: plain values.
#ifndef IDGEN_SERVER_GRPC_LIMITS_H_
#define IDGEN_SERVER_GRPC_LIMITS_H_

#include <cstdint>

#include <grpcpp/server_builder.h>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace idgen::server {

struct GrpcLimits {
  int max_concurrent_streams = 100;
  int64_t memory_bytes = int64_t{256} << 20;
  int max_receive_message_bytes = 64 << 10;
  int max_metadata_bytes = 16 << 10;
  absl::Duration min_ping_interval = absl::Seconds(10);
  int max_ping_strikes = 2;
  absl::Duration max_connection_idle = absl::Minutes(30);
};

// The limits a flag or option may set: streams 1..1,000,000, memory
// 16 MiB..1 TiB, messages 1 KiB..64 MiB, metadata 1 KiB..1 MiB, ping interval
// and idle time positive. INVALID_ARGUMENT naming the field otherwise.
[[nodiscard]] absl::Status CheckGrpcLimits(const GrpcLimits& limits);

// Sets `limits` on `builder` (channel arguments and the resource quota).
void ApplyGrpcLimits(const GrpcLimits& limits, grpc::ServerBuilder* builder);

}  // namespace idgen::server

#endif  // IDGEN_SERVER_GRPC_LIMITS_H_
