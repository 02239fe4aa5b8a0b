// Copyright idgen authors.
//
// `idgen gateway`: the REST/JSON gateway in front of `idgen serve` nodes, run
// until SIGTERM/SIGINT (SIGHUP: read the TLS files again). Every flag has an IDGEN_* environment
// variable; bad values exit with code 2 and a one-line reason.
#include <csignal>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "src/cli/auth_flags.h"
#include "src/cli/commands.h"
#include "src/cli/exposure.h"
#include "src/cli/file_limit.h"
#include "src/cli/flag_checks.h"
#include "src/cli/service_notify.h"
#include "src/cli/tls_flags.h"
#include "src/gateway/backend_config.h"
#include "src/gateway/gateway.h"
#include "src/security/tls_client_config.h"
#include "src/telemetry/telemetry.h"
#include "src/telemetry/telemetry_config.h"

namespace idgen::cli {
namespace {

// At shutdown, the longest the last telemetry export may take: a collector
// that accepts but never answers must not hold the gateway past the stop
// grace of whatever runs it (the AppHost gives 10 s).
constexpr absl::Duration kTelemetryFlushBudget = absl::Seconds(3);

struct GatewayArgs {
  std::string listen = "127.0.0.1:8080";
  std::string backends;
  int threads = 2;
  int64_t call_timeout_ms = 1000;
  int retry_attempts = 3;
  int64_t retry_backoff_ms = 50;
  bool health_check = true;
  int max_in_flight = 1024;
  bool coalesce = true;
  int64_t coalesce_max_ids = 1000;
  int64_t prefetch = 0;
  int64_t prefetch_max_age_ms = 1000;
  int64_t max_count = 10000;
  int64_t max_body_bytes = 16 * 1024;
  int64_t max_header_bytes = 8 * 1024;
  int64_t header_timeout_ms = 10'000;
  int64_t idle_timeout_ms = 60'000;
  int64_t max_connections = 0;  // 0: DefaultMaxConnections of the descriptor limit
  std::string swagger_ui_dir;
  TlsServerFlags tls;
  TlsClientFlags backend_tls;
  bool insecure = false;             // plaintext HTTP beyond loopback, on request only
  AuthFlags auth;                    // API keys, quotas, anonymous callers
  std::string backend_api_key_file;  // the gateway's own key toward the nodes
};

int RunGateway(const GatewayArgs& a) {
  gateway::GatewayOptions o;
  o.listen = a.listen;
  o.threads = a.threads;
  o.backend.backends = gateway::SplitBackendList(a.backends);
  o.backend.call_timeout = absl::Milliseconds(a.call_timeout_ms);
  o.backend.retry_attempts = a.retry_attempts;
  o.backend.retry_backoff = absl::Milliseconds(a.retry_backoff_ms);
  o.backend.health_check = a.health_check;
  o.backend.max_in_flight = a.max_in_flight;
  o.pool.coalesce = a.coalesce;
  o.pool.cap = static_cast<uint32_t>(a.coalesce_max_ids);
  o.pool.prefetch = static_cast<uint32_t>(a.prefetch);
  o.pool.max_age = absl::Milliseconds(a.prefetch_max_age_ms);
  o.max_count = static_cast<uint32_t>(a.max_count);
  o.max_body_bytes = static_cast<size_t>(a.max_body_bytes);
  o.max_header_bytes = static_cast<size_t>(a.max_header_bytes);
  o.header_timeout = absl::Milliseconds(a.header_timeout_ms);
  o.idle_timeout = absl::Milliseconds(a.idle_timeout_ms);
  const uint64_t file_limit = FileLimit();
  o.max_connections = a.max_connections > 0 ? static_cast<size_t>(a.max_connections)
                                            : DefaultMaxConnections(file_limit);
  if (a.max_connections > 0 && static_cast<uint64_t>(a.max_connections) >= file_limit) {
    std::cerr << "idgen gateway: warning: --max-connections " << a.max_connections
              << " is not below the file-descriptor limit " << file_limit
              << "; at that limit the longest-idle connections are closed\n";
  }
  o.swagger_ui_dir = a.swagger_ui_dir;
  absl::StatusOr<security::TlsServerConfig> tls = TlsServerConfigFrom(a.tls);
  if (!tls.ok()) {
    std::cerr << "idgen gateway: " << tls.status().message() << "\n";
    return 2;
  }
  o.tls = *std::move(tls);
  if (absl::Status s = CheckPlaintextExposure("--listen", a.listen, o.tls.enabled(), a.insecure);
      !s.ok()) {
    std::cerr << "idgen gateway: " << s.message() << "\n";
    return 2;
  }
  if (absl::Status s = CheckAnonymousExposure(a.auth, "--listen", a.listen, false); !s.ok()) {
    std::cerr << "idgen gateway: " << s.message() << "\n";
    return 2;
  }
  if (!a.backend_api_key_file.empty()) {
    absl::StatusOr<std::string> key =
        ReadApiKeyFile("--backend-api-key-file", a.backend_api_key_file);
    if (!key.ok()) {
      std::cerr << "idgen gateway: " << key.status().message() << "\n";
      return 2;
    }
    o.backend.api_key = *std::move(key);
  }
  o.backend.tls = TlsClientConfigFrom(a.backend_tls);
  if (absl::Status s = security::CheckTlsClientConfig(o.backend.tls, absl::Now(), "--backend-tls-");
      !s.ok()) {
    std::cerr << "idgen gateway: " << s.message() << "\n";
    return 2;
  }

  // Block the shutdown and reload signals before any thread exists, so every thread
  // inherits the mask and only sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);  // reload the TLS files
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  // Telemetry from the OTEL_* environment (bad values: one warning each, and
  // the default); spans for every request, client spans for node calls.
  telemetry::Telemetry::Options tel_options;
  tel_options.service_version = IDGEN_VERSION;
  tel_options.extra_resource.emplace_back("service.instance.id", a.listen);
  // OTLP TLS files and header lists that do not parse stop the start.
  const telemetry::ParsedTelemetryConfig tel_config =
      telemetry::ParseTelemetryConfig(telemetry::ProcessEnv(), "idgen-gateway");
  if (PrintTelemetryErrors("idgen gateway", tel_config)) return 2;
  std::unique_ptr<telemetry::Telemetry> tel =
      telemetry::Telemetry::Create(tel_config, std::move(tel_options));
  o.telemetry = tel.get();
  if (const std::string w = PlaintextExposureWarning("--listen", a.listen, o.tls.enabled());
      !w.empty()) {
    tel->logger().Warn(absl::StrCat("idgen gateway: ", w));
  }
  if (const std::string w = AnonymousExposureWarning(a.auth, "--listen", a.listen, false);
      !w.empty()) {
    tel->logger().Warn(absl::StrCat("idgen gateway: ", w));
  }
  telemetry::Logger* log = &tel->logger();
  absl::StatusOr<AuthSetup> auth = MakeAuth(
      a.auth,
      [log](const std::string& m, bool warning) {
        if (warning) {
          log->Warn(absl::StrCat("idgen gateway: ", m));
        } else {
          log->Info(absl::StrCat("idgen gateway: ", m));
        }
      },
      SystemClock::Get());
  if (!auth.ok()) {
    std::cerr << "idgen gateway: " << auth.status().message() << "\n";
    return 2;
  }
  o.authenticator = auth->authenticator;
  o.quota = auth->quota;

  absl::StatusOr<std::unique_ptr<gateway::Gateway>> gw = gateway::Gateway::Start(o);
  if (!gw.ok()) {
    std::cerr << "idgen gateway: " << gw.status().message() << "\n";
    return gw.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  if (!(*gw)->swagger_ui().status().ok()) {
    std::cerr << "idgen gateway: warning: /docs will answer 503: "
              << (*gw)->swagger_ui().status().message() << "\n";
  }
  std::cerr << "idgen gateway: HTTP on port " << (*gw)->port() << " (at most " << o.max_connections
            << " connections), backends " << a.backends << ", Swagger UI "
            << ((*gw)->swagger_ui().status().ok() ? (*gw)->swagger_ui().dir() : "missing")
            << std::endl;

  auth->authenticator->StartPolling();
  // systemd Type=notify: listening.
  if (absl::Status s = NotifyServiceManager("READY=1"); !s.ok()) {
    std::cerr << "idgen gateway: " << s.message() << std::endl;
  }
  int sig = 0;
  while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) {
    std::cerr << "idgen gateway: SIGHUP, reading the TLS files and the key file again" << std::endl;
    (void)NotifyServiceManager("RELOADING=1");
    (*gw)->ReloadTls();
    auth->authenticator->ReloadNow();
    if (auth->jwt != nullptr) auth->jwt->ReloadNow();
    (void)NotifyServiceManager("READY=1");
  }
  (void)NotifyServiceManager("STOPPING=1");
  std::cerr << "idgen gateway: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << ", stopping"
            << std::endl;
  (*gw)->Stop();
  tel->Shutdown(kTelemetryFlushBudget);  // last metrics, queued spans
  std::cerr << "idgen gateway: stopped" << std::endl;
  return 0;
}

}  // namespace

void AddGatewayCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<GatewayArgs>();
  CLI::App* cmd = app.add_subcommand("gateway", "Run the REST/JSON gateway in front of ID nodes");
  cmd->add_option("--listen", args->listen, "HTTP address, HOST:PORT (port 0: any free port)")
      ->envname("IDGEN_GATEWAY_LISTEN")
      ->capture_default_str();
  cmd->add_option("--backends", args->backends,
                  "ID nodes: HOST:PORT[,HOST:PORT...] (IPv4, [IPv6], localhost), "
                  "unix:PATH[,unix:PATH...] or dns:///NAME:PORT")
      ->envname("IDGEN_BACKENDS")
      ->required();
  cmd->add_option("--threads", args->threads, "HTTP I/O threads")
      ->envname("IDGEN_GATEWAY_THREADS")
      ->check(WholeNumberIn(1, 64))
      ->capture_default_str();
  cmd->add_option("--call-timeout-ms", args->call_timeout_ms,
                  "Deadline of each backend call, retries included")
      ->envname("IDGEN_CALL_TIMEOUT_MS")
      ->check(WholeNumberIn(1, 60'000))
      ->capture_default_str();
  cmd->add_option("--retry-attempts", args->retry_attempts,
                  "Attempts per call on UNAVAILABLE or CANCELLED (1: no retries)")
      ->envname("IDGEN_RETRY_ATTEMPTS")
      ->check(WholeNumberIn(1, 5))
      ->capture_default_str();
  cmd->add_option("--retry-backoff-ms", args->retry_backoff_ms,
                  "First retry backoff; doubles, capped at 8x")
      ->envname("IDGEN_RETRY_BACKOFF_MS")
      ->check(WholeNumberIn(1, 10'000))
      ->capture_default_str();
  cmd->add_option("--health-check", args->health_check,
                  "gRPC health checking: backends not SERVING leave the rotation (true/false)")
      ->envname("IDGEN_HEALTH_CHECK")
      ->capture_default_str();
  cmd->add_option("--max-in-flight", args->max_in_flight,
                  "Backend calls, and ID requests waiting for one, at once; beyond it 429")
      ->envname("IDGEN_MAX_IN_FLIGHT")
      ->check(WholeNumberIn(1, 1'000'000))
      ->capture_default_str();
  cmd->add_option("--coalesce", args->coalesce,
                  "Requests arriving while a namespace has backend calls in flight share the "
                  "next call (true/false)")
      ->envname("IDGEN_COALESCE")
      ->capture_default_str();
  cmd->add_option("--coalesce-max-ids", args->coalesce_max_ids,
                  "Most IDs one shared call fetches; larger requests get their own call")
      ->envname("IDGEN_COALESCE_MAX_IDS")
      ->check(WholeNumberIn(1, 1'000'000))
      ->capture_default_str();
  cmd->add_option("--prefetch", args->prefetch,
                  "IDs kept ready per snowflake namespace, refilled in the background "
                  "(0: off; see docs/OPERATIONS.md for the ordering trade-off)")
      ->envname("IDGEN_PREFETCH")
      ->check(WholeNumberIn(0, 1'000'000))
      ->capture_default_str();
  cmd->add_option("--prefetch-max-age-ms", args->prefetch_max_age_ms,
                  "Prefetched IDs older than this are dropped, never handed out")
      ->envname("IDGEN_PREFETCH_MAX_AGE_MS")
      ->check(WholeNumberIn(1, 60'000))
      ->capture_default_str();
  cmd->add_option("--max-count", args->max_count, "Most IDs per request; beyond it 429")
      ->envname("IDGEN_MAX_COUNT")
      ->check(WholeNumberIn(1, 1'000'000))
      ->capture_default_str();
  cmd->add_option("--max-body-bytes", args->max_body_bytes, "Largest request body; beyond it 413")
      ->envname("IDGEN_MAX_BODY_BYTES")
      ->check(WholeNumberIn(64, 16 << 20))
      ->capture_default_str();
  cmd->add_option("--max-header-bytes", args->max_header_bytes,
                  "Largest request line plus header; beyond it 431")
      ->envname("IDGEN_MAX_HEADER_BYTES")
      ->check(WholeNumberIn(1024, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--header-timeout-ms", args->header_timeout_ms,
                  "A request header must arrive within this of its first byte (a new "
                  "connection's: of the accept); slower clients are closed")
      ->envname("IDGEN_HEADER_TIMEOUT_MS")
      ->check(WholeNumberIn(100, 3'600'000))
      ->capture_default_str();
  cmd->add_option("--idle-timeout-ms", args->idle_timeout_ms,
                  "Idle keep-alive connections are closed after this")
      ->envname("IDGEN_IDLE_TIMEOUT_MS")
      ->check(WholeNumberIn(100, 3'600'000))
      ->capture_default_str();
  cmd->add_option("--max-connections", args->max_connections,
                  "Most HTTP connections open at once; a new one beyond it closes the "
                  "longest-idle one (default: the file-descriptor limit minus a reserve)")
      ->envname("IDGEN_MAX_CONNECTIONS")
      ->check(WholeNumberIn(1, 1 << 30));
  cmd->add_option("--swagger-ui-dir", args->swagger_ui_dir,
                  "Directory of npm's swagger-ui-dist for /docs (default: next to the binary, "
                  "see docs/OPERATIONS.md)")
      ->envname("IDGEN_SWAGGER_UI_DIR");
  AddTlsServerFlags(cmd, &args->tls, "the HTTP listener (HTTPS)");
  cmd->add_flag("--insecure", args->insecure,
                "Allow --listen on an address other machines can reach without TLS (plaintext "
                "HTTP); refused without it (see docs/SECURITY.md)")
      ->envname("IDGEN_INSECURE");
  AddTlsClientFlags(cmd, &args->backend_tls, "--backend-tls-", "IDGEN_BACKEND_TLS_", "the nodes'");
  AddAuthFlags(cmd, &args->auth);
  cmd->add_option("--backend-api-key-file", args->backend_api_key_file,
                  "File holding the API key the gateway sends to the nodes (their --auth-keys "
                  "must admit it with ids:generate, ids:decode and info); the gateway checks its "
                  "own callers and quotas itself")
      ->envname("IDGEN_BACKEND_API_KEY_FILE");
  cmd->callback([args, exit_code] { *exit_code = RunGateway(*args); });
}

}  // namespace idgen::cli
