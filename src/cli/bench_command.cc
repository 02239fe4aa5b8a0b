// Copyright idgen authors.
//
// `idgen bench`: load generator for a running node; the engine is in
// load_generator.h. Exit codes: 0 ok, 1 a duplicate or out-of-order ID was
// received (or the node could not be reached, or answered nothing), 2 bad
// flags or a namespace/count the node rejects.
//
// Modes map one-to-one onto RPCs: unary = NextId (so --count must be 1),
// batch = NextIds with --count IDs, stream = StreamIds asking for --count IDs
// per request.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "src/cli/auth_flags.h"
#include "src/cli/commands.h"
#include "src/cli/load_generator.h"
#include "src/cli/tls_flags.h"

namespace idgen::cli {
namespace {

struct BenchArgs {
  std::string target;
  std::string mode = "stream";
  std::string ns;
  int64_t count = 1;
  int64_t concurrency = 16;
  int64_t pipeline = 1;
  double duration_s = 10;
  double warmup_s = 1;
  double rate = 0;
  int64_t threads = 1;
  int64_t connections = 1;
  int64_t check_limit = 50'000'000;
  double timeout_s = 5;
  bool json = false;
  TlsClientFlags tls;
  std::string api_key_file;
};

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

void PrintText(const LoadConfig& c, const LoadReport& r) {
  std::cout << "idgen bench  " << BenchModeName(c.mode) << ", count " << c.count << ", concurrency "
            << c.concurrency;
  if (c.pipeline > 1) std::cout << " x pipeline " << c.pipeline;
  std::cout << ", " << Fixed(r.duration_s, 1) << " s";
  if (c.rate > 0) std::cout << ", rate " << Fixed(c.rate, 0) << "/s";
  std::cout << " -> " << c.target << " (" << r.channels << " connections, " << r.threads
            << " threads)\n";
  std::cout << "requests     " << r.requests << "  (" << Fixed(r.rps(), 0) << "/s)\n"
            << "ids          " << r.ids << "  (" << Fixed(r.ids_per_s(), 0) << "/s)\n"
            << "latency us   p50 " << Fixed(r.p50_us, 1) << "  p99 " << Fixed(r.p99_us, 1)
            << "  p999 " << Fixed(r.p999_us, 1) << "  max " << Fixed(r.max_us, 1) << "  mean "
            << Fixed(r.mean_us, 1) << "\n";
  if (c.rate > 0) {
    std::cout << "  from send  p50 " << Fixed(r.service_p50_us, 1) << "  p99 "
              << Fixed(r.service_p99_us, 1) << "  p999 " << Fixed(r.service_p999_us, 1)
              << "  (the above count waits behind a slow previous request)\n";
  }
  std::cout << "errors       ";
  if (r.errors.empty()) std::cout << "none";
  for (const auto& [name, n] : r.errors) std::cout << name << " " << n << "  ";
  std::cout << "\n";
  std::cout << "unique       " << r.duplicates << " duplicates among " << r.ids_checked
            << " IDs checked";
  if (r.ids_checked < r.ids_received) {
    std::cout << " (of " << r.ids_received << " received; --check-limit " << c.check_limit << ")";
  } else {
    std::cout << " (all received, warm-up included)";
  }
  std::cout << "\n"
            << "order        " << r.order_violations
            << " violations of strictly increasing per caller\n";
}

void PrintJson(const LoadConfig& c, const LoadReport& r) {
  nlohmann::json errors = nlohmann::json::object();
  for (const auto& [name, n] : r.errors) errors[name] = n;
  nlohmann::json j = {
      {"mode", BenchModeName(c.mode)},
      {"target", c.target},
      {"namespace", c.ns},
      {"count", c.count},
      {"concurrency", c.concurrency},
      {"pipeline", c.pipeline},
      {"rate", c.rate},
      {"warmup_s", c.warmup_s},
      {"duration_s", r.duration_s},
      {"requests", r.requests},
      {"ids", r.ids},
      {"rps", r.rps()},
      {"ids_per_s", r.ids_per_s()},
      {"p50_us", r.p50_us},
      {"p99_us", r.p99_us},
      {"p999_us", r.p999_us},
      {"max_us", r.max_us},
      {"mean_us", r.mean_us},
      {"service_p50_us", r.service_p50_us},
      {"service_p99_us", r.service_p99_us},
      {"service_p999_us", r.service_p999_us},
      {"errors", errors},
      {"error_total", r.error_total},
      {"ids_received", r.ids_received},
      {"ids_checked", r.ids_checked},
      {"check_limit", c.check_limit},
      {"duplicates", r.duplicates},
      {"order_violations", r.order_violations},
      {"connections", r.channels},
      {"threads", r.threads},
  };
  std::cout << j.dump() << "\n";
}

// Narrows a flag to int, saying which flag when it does not fit.
bool ToInt(int64_t v, int* out) {
  if (v < INT32_MIN || v > INT32_MAX) return false;
  *out = static_cast<int>(v);
  return true;
}

int RunBench(const BenchArgs& a) {
  LoadConfig c;
  c.target = a.target;
  absl::StatusOr<BenchMode> mode = ParseBenchMode(a.mode);
  if (!mode.ok()) {
    std::cerr << "idgen bench: " << mode.status().message() << "\n";
    return 2;
  }
  c.mode = *mode;
  c.ns = a.ns;
  if (a.count < 0 || a.count > UINT32_MAX) {
    std::cerr << "idgen bench: --count must be in 1..1000000\n";
    return 2;
  }
  c.count = static_cast<uint32_t>(a.count);
  if (!ToInt(a.concurrency, &c.concurrency) || !ToInt(a.pipeline, &c.pipeline) ||
      !ToInt(a.threads, &c.threads) || !ToInt(a.connections, &c.connections)) {
    std::cerr << "idgen bench: --concurrency, --pipeline, --threads or --connections "
                 "is out of range\n";
    return 2;
  }
  if (a.check_limit < 0) {
    std::cerr << "idgen bench: --check-limit must not be negative\n";
    return 2;
  }
  c.check_limit = static_cast<uint64_t>(a.check_limit);
  c.duration_s = a.duration_s;
  c.warmup_s = a.warmup_s;
  c.rate = a.rate;
  c.timeout_s = a.timeout_s;
  c.tls = TlsClientConfigFrom(a.tls);
  if (!a.api_key_file.empty()) {
    absl::StatusOr<std::string> key = ReadApiKeyFile("--api-key-file", a.api_key_file);
    if (!key.ok()) {
      std::cerr << "idgen bench: " << key.status().message() << "\n";
      return 2;
    }
    c.authorization = "Bearer " + *key;
  }
  if (absl::Status s = ValidateLoadConfig(c); !s.ok()) {
    std::cerr << "idgen bench: " << s.message() << "\n";
    return 2;
  }

  absl::StatusOr<LoadReport> r = RunLoad(c);
  if (!r.ok()) {
    std::cerr << "idgen bench: " << r.status().message() << "\n";
    return r.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  if (a.json) {
    PrintJson(c, *r);
  } else {
    PrintText(c, *r);
  }
  if (r->duplicates > 0 || r->order_violations > 0) {
    std::cerr << "idgen bench: FAILED: " << r->duplicates << " duplicate IDs, "
              << r->order_violations << " order violations\n";
    return 1;
  }
  if (r->requests == 0) {
    std::cerr << "idgen bench: no request succeeded in the measured window\n";
    return 1;
  }
  return 0;
}

}  // namespace

void AddBenchCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bench", "Load a node for a while; report rate, latency, errors, uniqueness and order");
  cmd->add_option("--target", args->target, "Node gRPC address, HOST:PORT")->required();
  cmd->add_option("--mode", args->mode,
                  "unary (NextId), batch (NextIds) or stream (StreamIds, one request "
                  "outstanding per stream unless --pipeline)")
      ->capture_default_str();
  cmd->add_option("--count", args->count, "IDs per request (unary: must be 1)")
      ->capture_default_str();
  cmd->add_option("--concurrency", args->concurrency, "Concurrent callers (streams in stream mode)")
      ->capture_default_str();
  cmd->add_option("--duration", args->duration_s, "Measured seconds, at most 3600")
      ->capture_default_str();
  cmd->add_option("--namespace", args->ns, "Namespace; empty = the node's default");
  cmd->add_option("--rate", args->rate,
                  "Target requests/s over all callers; 0 = as fast as possible")
      ->capture_default_str();
  cmd->add_option("--warmup", args->warmup_s, "Seconds run before measuring (IDs still checked)")
      ->capture_default_str();
  cmd->add_option("--pipeline", args->pipeline, "Requests outstanding per stream (stream mode)")
      ->capture_default_str();
  cmd->add_option("--threads", args->threads,
                  "Client polling threads, 0 = one per CPU (one measured fastest: gRPC pollers "
                  "hand work to each other)")
      ->capture_default_str();
  cmd->add_option("--connections", args->connections,
                  "TCP connections the callers are spread over (at most --concurrency)")
      ->capture_default_str();
  cmd->add_option("--check-limit", args->check_limit,
                  "At most this many IDs are kept for the uniqueness check (8-16 bytes each)")
      ->capture_default_str();
  cmd->add_option("--timeout", args->timeout_s, "Seconds allowed to connect and per unary call")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Print one JSON object");
  AddTlsClientFlags(cmd, &args->tls, "--tls-", "", "the node's");
  cmd->add_option("--api-key-file", args->api_key_file,
                  "File whose first line is the API key to send (nodes with --auth-keys)")
      ->envname("IDGEN_API_KEY_FILE");
  cmd->callback([args, exit_code] { *exit_code = RunBench(*args); });
}

}  // namespace idgen::cli
