// Copyright idgen authors.
//
// The engine behind `idgen bench`: drives an idgen.v1.IdGenerator node with
// many concurrent callers for a fixed time and reports throughput, latency,
// errors, and whether every ID received was unique and increasing per caller.
//
// A "caller" is one sequential client: in unary/batch mode it has one call in
// flight at a time; in stream mode it owns one StreamIds stream with up to
// `pipeline` requests outstanding. Callers run on the completion-queue async
// API, spread over polling threads (one by default) and over `connections`
// channels, each with its own TCP connection; in paced runs (`rate`) each
// request goes within tens of microseconds of its due time. See
// docs/BENCHMARKS.md for how these defaults were measured.
//
// The pure parts (LatencyHistogram, OrderChecker, CountDuplicates,
// ValidateLoadConfig) are here so that they can be unit-tested.
//
// Example:
//   LoadConfig c;
//   c.target = "127.0.0.1:50051";
//   c.mode = BenchMode::kStream;
//   c.concurrency = 16;
//   absl::StatusOr<LoadReport> r = RunLoad(c);
#ifndef IDGEN_CLI_LOAD_GENERATOR_H_
#define IDGEN_CLI_LOAD_GENERATOR_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "idgen/id128.h"
#include "src/security/tls_client_config.h"

namespace idgen::cli {

enum class BenchMode { kUnary, kBatch, kStream };

// "unary", "batch" or "stream"; INVALID_ARGUMENT naming the choices otherwise.
[[nodiscard]] absl::StatusOr<BenchMode> ParseBenchMode(std::string_view name);
std::string_view BenchModeName(BenchMode mode);

// A log-bucket histogram in the spirit of HdrHistogram: values below 128 are
// exact, larger ones fall in buckets 1/64 of their power of two wide, so a
// reported quantile is within 0.8% of the true one. Not thread-safe: keep one
// per thread and Merge() at the end.
class LatencyHistogram {
 public:
  LatencyHistogram();

  void Record(uint64_t value);
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  double Mean() const;
  // The value of rank ceil(q * count) (q in [0, 1]), as the midpoint of its
  // bucket clamped to the largest value recorded; 0 when empty.
  uint64_t Quantile(double q) const;

  // Bucket arithmetic, public for tests.
  static size_t BucketOf(uint64_t value);
  static uint64_t BucketLow(size_t bucket);
  static uint64_t BucketHigh(size_t bucket);  // inclusive
  static constexpr size_t kBuckets = 128 + 57 * 64;

 private:
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  uint64_t max_ = 0;
  uint64_t sum_ = 0;  // 2^64 ns is 584 years
};

// Counts places where a sequence fails to strictly increase.
template <typename T>
class OrderChecker {
 public:
  void Observe(const T& id) {
    if (seen_ && !(last_ < id)) ++violations_;
    last_ = id;
    seen_ = true;
  }
  uint64_t violations() const { return violations_; }

 private:
  T last_{};
  bool seen_ = false;
  uint64_t violations_ = 0;
};

// Sorts each sequence in place, then merges them all and returns how many
// values equal one seen before (total minus distinct). Uses no memory beyond
// the sequences themselves and a heap of one entry per sequence.
uint64_t CountDuplicates(std::vector<std::vector<uint64_t>>& sequences);
uint64_t CountDuplicates(std::vector<std::vector<Id128>>& sequences);

// host:port, [v6]:port, or a gRPC URI (dns:, ipv4:, ipv6:, unix:).
[[nodiscard]] absl::Status ValidateTarget(std::string_view target);

struct LoadConfig {
  std::string target;
  BenchMode mode = BenchMode::kStream;
  std::string ns;          // "" = the node's default namespace
  uint32_t count = 1;      // IDs per request
  int concurrency = 1;     // callers (streams in stream mode)
  int pipeline = 1;        // requests outstanding per stream (stream mode)
  double duration_s = 10;  // measured window, after the warm-up
  double warmup_s = 0;     // run but not measured (IDs are still checked)
  double rate = 0;         // total requests/s target; 0 = as fast as possible
  int threads = 1;         // polling threads; 0 = one per CPU
  // Callers share connections round-robin. One connection measured fastest
  // on a small box: gRPC coalesces the frames of many streams into one write.
  int connections = 1;
  uint64_t check_limit = 50'000'000;  // IDs stored for the uniqueness check
  double timeout_s = 5;               // per unary call; connect and probe
  // TLS or mutual TLS to the node (off unless tls.ca_file is set); files
  // checked by ValidateLoadConfig.
  security::TlsClientConfig tls;
  // "Bearer <key>" sent on every call (nodes with --auth-keys); "" none.
  std::string authorization;
};

inline constexpr double kMaxBenchSeconds = 3600;

// INVALID_ARGUMENT with a one-line message for any flag out of range.
[[nodiscard]] absl::Status ValidateLoadConfig(const LoadConfig& config);

struct LoadReport {
  // Counted over the measured window only.
  uint64_t requests = 0;
  uint64_t ids = 0;
  double duration_s = 0;
  // Latency from the intended send time: in a paced run (--rate) a request
  // that had to wait for its caller's previous one counts that wait, as an
  // open-loop client would see it.
  double p50_us = 0, p99_us = 0, p999_us = 0, max_us = 0, mean_us = 0;
  // Latency from the actual send time (equal to the above when unpaced).
  double service_p50_us = 0, service_p99_us = 0, service_p999_us = 0;
  // Over the whole run (warm-up included); keyed by gRPC code name, plus
  // WRONG_COUNT / MALFORMED_ID for responses that break the API contract.
  std::map<std::string, uint64_t> errors;
  uint64_t error_total = 0;
  // Every ID received, warm-up included.
  uint64_t ids_received = 0;
  uint64_t ids_checked = 0;
  uint64_t duplicates = 0;
  uint64_t order_violations = 0;
  int channels = 0;
  int threads = 0;

  double rps() const { return duration_s > 0 ? static_cast<double>(requests) / duration_s : 0; }
  double ids_per_s() const { return duration_s > 0 ? static_cast<double>(ids) / duration_s : 0; }
};

// Runs the load. Fails with INVALID_ARGUMENT when the node rejects the
// namespace or count of a probe request (bad input), UNAVAILABLE when it
// cannot be reached; otherwise returns the report, whatever errors the node
// answered with during the run.
[[nodiscard]] absl::StatusOr<LoadReport> RunLoad(const LoadConfig& config);

}  // namespace idgen::cli

#endif  // IDGEN_CLI_LOAD_GENERATOR_H_
