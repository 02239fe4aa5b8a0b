// Copyright idgen authors.
//
// What a Client is told: where the nodes are, how long a call may take,
// how it retries, how it secures the link; and per-call and per-pool
// settings. Plain structs; Client::Create checks them and says which field
// is wrong.
#ifndef IDGEN_CLIENT_OPTIONS_H_
#define IDGEN_CLIENT_OPTIONS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace idgen::client {

// TLS toward the nodes, as their `idgen serve --tls-*` flags expect: the CA
// their certificates chain to, and (for nodes that require one: mutual TLS)
// this client's certificate and key. Files are PEM, read again when they
// change (renewals apply without a restart).
struct TlsOptions {
  std::string ca_file;  // empty: plaintext
  std::string cert_file;
  std::string key_file;
  // The name checked in the nodes' certificates instead of the target's
  // host (e.g. nodes dialled by address, certificates issued by name).
  std::string server_name;
  // Refuse a key file that group or others may read, as idgen does.
  bool check_key_permissions = true;

  bool enabled() const { return !ca_file.empty(); }
};

struct ClientOptions {
  // gRPC target: "dns:///host:port" (re-resolved, every address used),
  // "ipv4:10.0.0.5:50051,10.0.0.6:50051", "unix:/run/idgen/grpc.sock", or a
  // plain "host:port".
  std::string target = "dns:///localhost:50051";
  // "round_robin" (every node of the target in turn) or "pick_first".
  std::string load_balancing = "round_robin";
  // Deadline of a call, retries included, unless CallOptions says otherwise.
  std::chrono::milliseconds deadline{1000};
  // Attempts per call, 1..5 (1: no retry, and no cost of gRPC's retry
  // machinery per call). Only UNAVAILABLE is retried: a failed attempt's IDs
  // are never handed out, so a retry cannot duplicate.
  int max_attempts = 3;
  std::chrono::milliseconds initial_backoff{20};
  std::chrono::milliseconds max_backoff{500};
  // HTTP/2 keepalive pings; 0: off. The nodes accept one ping per 10 s at
  // most, so at least 10 s.
  std::chrono::milliseconds keepalive_time{30000};
  // Connections (gRPC channels) calls are spread over, 1..64: a node serves
  // at most 1000 concurrent calls per connection.
  int channels = 1;
  // Threads that run the completions of calls (and the callbacks of the
  // ...Async forms), 1..64. One keeps up with a node's unary rate on one
  // core and has the fewest hand-offs; raise it only when callbacks do real
  // work.
  int completion_threads = 1;
  // Prefix of the user-agent the nodes see (and log), e.g. "orders/1.4".
  std::string user_agent;
  TlsOptions tls;
  // The API key sent as "authorization: Bearer <key>" on every call (nodes
  // with `--auth-keys`), given here or read from the first line of
  // api_key_file (one of the two; both empty: no key). Never logged.
  std::string api_key;
  std::string api_key_file;
  // Instead of a fixed key: called before every call (from any thread, so it
  // must be thread-safe) for the bearer token to send, e.g. a JWT your
  // identity provider renews. Its result is checked like api_key; a bad
  // one fails that call with INVALID_ARGUMENT (the token is never quoted).
  // Not together with api_key or api_key_file.
  std::function<std::string()> token_source;
};

struct CallOptions {
  // This call's deadline; 0: ClientOptions::deadline.
  std::chrono::milliseconds deadline{0};
};

struct PoolOptions {
  // IDs asked for per refill (at most the namespace's max_batch).
  uint32_t batch = 1000;
  // A refill starts when fewer IDs than this are ready (at most batch).
  uint32_t low_water = 200;
  // IDs kept longer than this are dropped, never handed out (the IDs of
  // time-based schemes carry their minting time); 0: kept until used.
  std::chrono::milliseconds max_age{1000};
  // How long Next() may wait for a refill when none is ready (>= 1 ms);
  // past it, DEADLINE_EXCEEDED.
  std::chrono::milliseconds wait{1000};
};

}  // namespace idgen::client

#endif  // IDGEN_CLIENT_OPTIONS_H_
