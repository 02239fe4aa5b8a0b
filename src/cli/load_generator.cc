// Copyright idgen authors.
//
// See load_generator.h. The callers that make the requests are in
// load_callers.h; this file checks the configuration, connects, probes and
// merges what the callers counted.
#include "src/cli/load_generator.h"

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <memory>
#include <thread>
#include <utility>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "idgen/internal/mutex.h"
#include "idgen/v1/idgen.grpc.pb.h"
#include "src/base/status_macros.h"
#include "src/cli/load_callers.h"
#include "src/config/endpoint.h"

namespace idgen::cli {

// ---------------------------------------------------------------- pure parts

absl::StatusOr<BenchMode> ParseBenchMode(std::string_view name) {
  if (name == "unary") return BenchMode::kUnary;
  if (name == "batch") return BenchMode::kBatch;
  if (name == "stream") return BenchMode::kStream;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown --mode \"", std::string(name), "\"; use unary, batch or stream"));
}

std::string_view BenchModeName(BenchMode mode) {
  switch (mode) {
    case BenchMode::kUnary:
      return "unary";
    case BenchMode::kBatch:
      return "batch";
    case BenchMode::kStream:
      return "stream";
  }
  return "?";
}

LatencyHistogram::LatencyHistogram() : buckets_(kBuckets, 0) {}

size_t LatencyHistogram::BucketOf(uint64_t value) {
  if (value < 128) return static_cast<size_t>(value);
  const int e = 63 - std::countl_zero(value);  // 7..63
  const int shift = e - 6;
  const uint64_t mantissa = value >> shift;  // 64..127
  return 128 + static_cast<size_t>(e - 7) * 64 + static_cast<size_t>(mantissa - 64);
}

uint64_t LatencyHistogram::BucketLow(size_t bucket) {
  if (bucket < 128) return bucket;
  const size_t e = (bucket - 128) / 64 + 7;
  const uint64_t mantissa = (bucket - 128) % 64 + 64;
  return mantissa << (e - 6);
}

uint64_t LatencyHistogram::BucketHigh(size_t bucket) {
  if (bucket < 128) return bucket;
  const size_t e = (bucket - 128) / 64 + 7;
  return BucketLow(bucket) + ((uint64_t{1} << (e - 6)) - 1);
}

void LatencyHistogram::Record(uint64_t value) {
  ++buckets_[BucketOf(value)];
  ++count_;
  max_ = std::max(max_, value);
  sum_ += value;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double LatencyHistogram::Mean() const {
  return count_ == 0 ? 0 : static_cast<double>(sum_) / static_cast<double>(count_);
}

uint64_t LatencyHistogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      const uint64_t low = BucketLow(i);
      const uint64_t mid = low + (BucketHigh(i) - low) / 2;
      return std::min(mid, max_);
    }
  }
  return max_;
}

namespace {

template <typename T>
uint64_t CountDuplicatesImpl(std::vector<std::vector<T>>& sequences) {
  struct Cursor {
    const T* at;
    const T* end;
  };
  std::vector<Cursor> heap;
  for (std::vector<T>& s : sequences) {
    if (!std::is_sorted(s.begin(), s.end())) std::sort(s.begin(), s.end());
    if (!s.empty()) heap.push_back({s.data(), s.data() + s.size()});
  }
  // Min-heap on the value under each cursor.
  auto later = [](const Cursor& a, const Cursor& b) { return *b.at < *a.at; };
  std::make_heap(heap.begin(), heap.end(), later);
  uint64_t duplicates = 0;
  const T* last = nullptr;
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    Cursor& c = heap.back();
    // Merged output never decreases, so "not less" means "equal".
    if (last != nullptr && !(*last < *c.at)) ++duplicates;
    last = c.at;
    if (++c.at == c.end) {
      heap.pop_back();
    } else {
      std::push_heap(heap.begin(), heap.end(), later);
    }
  }
  return duplicates;
}

}  // namespace

uint64_t CountDuplicates(std::vector<std::vector<uint64_t>>& sequences) {
  return CountDuplicatesImpl(sequences);
}
uint64_t CountDuplicates(std::vector<std::vector<Id128>>& sequences) {
  return CountDuplicatesImpl(sequences);
}

absl::Status ValidateTarget(std::string_view target) {
  const std::string t(target);
  auto bad = [&t](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("bad --target \"", t, "\": ", std::string(why),
                                                   " (want HOST:PORT, [V6]:PORT or a gRPC URI "
                                                   "like dns:///HOST:PORT or unix:PATH)"));
  };
  if (t.empty()) return bad("empty");
  for (std::string_view scheme : {"dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:"}) {
    if (target.substr(0, scheme.size()) == scheme) {
      return target.size() > scheme.size() ? absl::OkStatus() : bad("nothing after the scheme");
    }
  }
  absl::StatusOr<config::Endpoint> e = config::ParseEndpoint(t);
  if (!e.ok()) return bad(std::string(e.status().message()));
  if (e->scheme != config::Scheme::kNone) return bad("not a gRPC target");
  return absl::OkStatus();
}

absl::Status ValidateLoadConfig(const LoadConfig& c) {
  IDGEN_RETURN_IF_ERROR(ValidateTarget(c.target));
  IDGEN_RETURN_IF_ERROR(security::CheckTlsClientConfig(c.tls, absl::Now(), "--tls-"));
  auto bad = [](std::string_view msg) { return absl::InvalidArgumentError(std::string(msg)); };
  if (c.count == 0) return bad("--count must be at least 1");
  if (c.count > 1'000'000) return bad("--count must be at most 1000000");
  if (c.mode == BenchMode::kUnary && c.count != 1) {
    return bad("--mode unary calls NextId, one ID per call; use --mode batch for --count > 1");
  }
  if (c.concurrency < 1) return bad("--concurrency must be at least 1");
  if (c.concurrency > 10000) return bad("--concurrency must be at most 10000");
  if (c.pipeline < 1 || c.pipeline > 1024) return bad("--pipeline must be in 1..1024");
  if (c.pipeline > 1 && c.mode != BenchMode::kStream) {
    return bad("--pipeline applies to --mode stream only (unary callers have one call in flight)");
  }
  if (!(c.duration_s > 0) || c.duration_s > kMaxBenchSeconds) {
    return bad("--duration must be more than 0 and at most 3600 seconds");
  }
  if (!(c.warmup_s >= 0) || c.warmup_s > kMaxBenchSeconds) {
    return bad("--warmup must be in 0..3600 seconds");
  }
  if (!(c.rate >= 0) || std::isinf(c.rate)) {
    return bad("--rate must be 0 (as fast as possible) or a positive number of requests/s");
  }
  if (c.threads < 0 || c.threads > 256) return bad("--threads must be in 0..256 (0 = one per CPU)");
  if (c.connections < 1 || c.connections > c.concurrency) {
    return bad("--connections must be in 1..--concurrency");
  }
  if (!(c.timeout_s > 0) || c.timeout_s > 600) return bad("--timeout must be in (0, 600] seconds");
  return absl::OkStatus();
}

// ---------------------------------------------------------------- the engine

namespace {

using load::Caller;
using load::Clock;
using load::ErrorName;
using load::ErrorSlot;
using load::kErrorSlots;
using load::Seconds;
using load::Shard;

// A channel with its own TCP connection: channels sharing the global
// subchannel pool would share one.
std::shared_ptr<grpc::Channel> NewChannel(const std::string& target,
                                          const security::TlsClientConfig& tls) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // Retries are not wanted here (every error is counted) and their filter
  // costs per call.
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  security::ApplyServerName(tls, &args);
  return grpc::CreateCustomChannel(target, security::GrpcChannelCredentials(tls), args);
}

// One request like the run's, so that a bad namespace or count fails the
// command at once instead of as millions of errors.
[[nodiscard]] absl::Status Probe(v1::IdGenerator::Stub& stub, const LoadConfig& c) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + Seconds(c.timeout_s));
  if (!c.authorization.empty()) ctx.AddMetadata("authorization", c.authorization);
  grpc::Status s;
  if (c.mode == BenchMode::kUnary) {
    v1::NextIdRequest req;
    req.set_namespace_(c.ns);
    v1::NextIdResponse resp;
    s = stub.NextId(&ctx, req, &resp);
  } else {
    v1::NextIdsRequest req;
    req.set_namespace_(c.ns);
    req.set_count(c.count);
    v1::NextIdsResponse resp;
    s = stub.NextIds(&ctx, req, &resp);
  }
  if (s.ok()) return absl::OkStatus();
  const std::string msg =
      absl::StrCat("the node rejected a probe request (", ErrorName(ErrorSlot(s.error_code())),
                   "): ", s.error_message());
  switch (s.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::UNIMPLEMENTED:
      return absl::InvalidArgumentError(msg);
    default:
      return absl::UnavailableError(msg);
  }
}

}  // namespace

absl::StatusOr<LoadReport> RunLoad(const LoadConfig& config) {
  IDGEN_RETURN_IF_ERROR(ValidateLoadConfig(config));
  const int threads = config.threads > 0
                          ? config.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const int channel_count = config.connections;

  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<v1::IdGenerator::Stub>> stubs;
  const auto connect_deadline = std::chrono::system_clock::now() + Seconds(config.timeout_s);
  for (int i = 0; i < channel_count; ++i) {
    channels.push_back(NewChannel(config.target, config.tls));
    stubs.push_back(v1::IdGenerator::NewStub(channels.back()));
  }
  for (auto& ch : channels) {
    if (!ch->WaitForConnected(connect_deadline)) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", config.target, " within ", config.timeout_s, " s"));
    }
  }
  IDGEN_RETURN_IF_ERROR(Probe(*stubs[0], config));

  load::Run run;
  run.config = &config;
  run.start = Clock::now();
  run.measure_from = run.start + Seconds(config.warmup_s);
  run.end = run.measure_from + Seconds(config.duration_s);
  run.hard_end = run.end + Seconds(config.timeout_s);
  if (config.rate > 0) {
    run.interval =
        std::chrono::nanoseconds(static_cast<int64_t>(1e9 * config.concurrency / config.rate));
  }
  run.remaining = config.concurrency;

  std::vector<std::unique_ptr<Shard>> shards;
  for (int i = 0; i < threads; ++i) shards.push_back(std::make_unique<Shard>());
  std::vector<std::unique_ptr<Caller>> callers;
  for (int i = 0; i < config.concurrency; ++i) {
    v1::IdGenerator::Stub* stub = stubs[static_cast<size_t>(i % channel_count)].get();
    Shard* shard = shards[static_cast<size_t>(i % threads)].get();
    callers.push_back(load::NewCaller(&run, stub, shard, i));
  }
  // Start the callers before the pollers exist; thread creation orders the
  // callers' writes before the pollers' reads.
  for (auto& c : callers) c->Start();
  std::vector<std::thread> pollers;
  for (auto& shard : shards) pollers.emplace_back([s = shard.get()] { s->Poll(); });
  {
    idgen::MutexLock lock(&run.mu);
    while (!run.all_done) run.all_done_cv.Wait();
  }
  for (auto& shard : shards) shard->cq.Shutdown();
  for (auto& t : pollers) t.join();

  LoadReport report;
  report.duration_s = config.duration_s;
  report.channels = channel_count;
  report.threads = threads;
  LatencyHistogram latency, service;
  for (const auto& shard : shards) {
    latency.Merge(shard->intended);
    service.Merge(shard->service);
  }
  std::array<uint64_t, kErrorSlots> errors{};
  std::vector<std::vector<uint64_t>> ids64;
  std::vector<std::vector<Id128>> ids128;
  for (auto& c : callers) {
    report.requests += c->requests;
    report.ids += c->ids;
    report.ids_received += c->received;
    report.order_violations += c->order64.violations() + c->order128.violations();
    for (size_t i = 0; i < kErrorSlots; ++i) errors[i] += c->errors[i];
    report.ids_checked += c->ids64.size() + c->ids128.size();
    ids64.push_back(std::move(c->ids64));
    ids128.push_back(std::move(c->ids128));
  }
  callers.clear();
  report.duplicates = CountDuplicates(ids64) + CountDuplicates(ids128);
  for (size_t i = 0; i < kErrorSlots; ++i) {
    if (errors[i] == 0) continue;
    report.errors[ErrorName(i)] = errors[i];
    report.error_total += errors[i];
  }
  report.p50_us = static_cast<double>(latency.Quantile(0.5)) / 1e3;
  report.p99_us = static_cast<double>(latency.Quantile(0.99)) / 1e3;
  report.p999_us = static_cast<double>(latency.Quantile(0.999)) / 1e3;
  report.max_us = static_cast<double>(latency.max()) / 1e3;
  report.mean_us = latency.Mean() / 1e3;
  report.service_p50_us = static_cast<double>(service.Quantile(0.5)) / 1e3;
  report.service_p99_us = static_cast<double>(service.Quantile(0.99)) / 1e3;
  report.service_p999_us = static_cast<double>(service.Quantile(0.999)) / 1e3;
  return report;
}

}  // namespace idgen::cli
