// Copyright idgen authors.
//
// `idgen serve`: runs one ID node until SIGTERM/SIGINT (SIGHUP: read the TLS
// files again).
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "src/base/status_macros.h"
#include "src/cli/auth_flags.h"
#include "src/cli/commands.h"
#include "src/cli/etcd_flags.h"
#include "src/cli/exposure.h"
#include "src/cli/flag_checks.h"
#include "src/cli/segment_stores.h"
#include "src/cli/service_notify.h"
#include "src/cli/tls_flags.h"
#include "src/config/endpoint.h"
#include "src/config/host_port.h"
#include "src/coord/etcd_lease_provider.h"
#include "src/coord/etcd_worker_id_pin.h"
#include "src/coord/file_lease_provider.h"
#include "src/coord/worker_id_pin.h"
#include "src/security/peer_identity.h"
#include "src/security/tls_server_config.h"
#include "src/server/cq_server.h"
#include "src/server/node.h"
#include "src/telemetry/telemetry.h"
#include "src/telemetry/telemetry_config.h"

namespace idgen::cli {
namespace {

struct ServeArgs {
  std::string listen = "127.0.0.1:50051";
  std::string admin_listen = "127.0.0.1:9464";
  std::string state_dir = ".idgen/state";
  std::string config;
  std::string node_name;
  std::optional<int64_t> worker_id;
  std::optional<int64_t> max_workers;
  std::string worker_ids;  // "LO-HI": the only worker ids this node claims
  int64_t drain_ms = 5000;
  // Cluster coordination on etcd (empty: embedded file leases in state_dir).
  std::string etcd;
  std::string cluster = "default";
  int64_t lease_ttl_s = 10;
  int64_t grpc_threads = 1;
  std::string socket_mode;  // octal, with --listen unix:PATH only
  int64_t realtime_priority = 0;
  int64_t grpc_max_streams = server::GrpcLimits{}.max_concurrent_streams;
  int64_t grpc_memory_mib = server::GrpcLimits{}.memory_bytes >> 20;
  int64_t grpc_max_message_bytes = server::GrpcLimits{}.max_receive_message_bytes;
  int64_t grpc_min_ping_interval_ms =
      absl::ToInt64Milliseconds(server::GrpcLimits{}.min_ping_interval);
  int64_t grpc_max_metadata_bytes = server::GrpcLimits{}.max_metadata_bytes;
  int64_t grpc_max_idle_ms = absl::ToInt64Milliseconds(server::GrpcLimits{}.max_connection_idle);
  int64_t admin_max_connections = 256;
  int64_t admin_header_timeout_ms = 10'000;
  int64_t admin_max_header_bytes = 8 * 1024;
  int64_t admin_max_body_bytes = 16 * 1024;
  int64_t admin_idle_timeout_ms = 60'000;
  bool insecure = false;  // plaintext gRPC beyond loopback, on request only
  TlsServerFlags tls;
  std::string tls_allowed_clients;  // comma-separated CN/SAN names
  EtcdSecurityFlags etcd_security;  // TLS and authentication toward etcd
  std::string segment_postgres;     // libpq URL of the PostgreSQL segment store
  AuthFlags auth;                   // API keys, quotas, anonymous callers
};

// The TLS flags as a TlsServerConfig (files are checked by Node::Create).
absl::StatusOr<security::TlsServerConfig> TlsFromFlags(const ServeArgs& a) {
  absl::StatusOr<security::TlsServerConfig> tls = TlsServerConfigFrom(a.tls);
  if (!tls.ok()) return tls.status();
  if (config::UnixSocketPath(a.listen).has_value() && tls->enabled()) {
    return absl::InvalidArgumentError(
        "--tls-cert applies to a TCP --listen; a Unix socket is guarded by --socket-mode");
  }
  return tls;
}

// gRPC beyond loopback is plaintext and open to anyone who can connect, and
// gRPC 1.51 cannot bound every HTTP/2 flood (docs/SECURITY.md): only on
// request, and said loudly.
// With mutual TLS only clients holding a certificate from the client CA get
// as far as HTTP/2.
absl::Status CheckExposure(const ServeArgs& a, const security::TlsServerConfig& tls,
                           telemetry::Logger* log) {
  if (config::IsLocalOnly(a.listen) || tls.requires_client_certificates()) {
    return absl::OkStatus();
  }
  const std::string exposure = tls.enabled() ? "over TLS to any client, without client certificates"
                                             : "in plaintext to any client";
  if (!a.insecure) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--listen ", a.listen, " is reachable from other machines, and this node would serve it ",
        exposure,
        " (gRPC 1.51's HTTP/2 flood weaknesses open to every client): listen on loopback or a "
        "Unix socket, require client certificates (--tls-client-ca with --tls-client-auth "
        "require), or accept the exposure with --insecure (see docs/SECURITY.md)"));
  }
  if (log != nullptr) {
    log->Warn(absl::StrCat("idgen serve: --insecure: gRPC on ", a.listen, " is served ", exposure,
                           ", reachable from other machines; any client there can take IDs and "
                           "can try the HTTP/2 floods gRPC 1.51 cannot bound (rapid reset, "
                           "CONTINUATION; docs/SECURITY.md)"));
  }
  return absl::OkStatus();
}

// "--socket-mode": three octal digits (a leading 0 allowed), as chmod takes.
absl::StatusOr<std::optional<uint32_t>> ParseSocketMode(const std::string& text,
                                                        const std::string& listen) {
  if (text.empty()) return std::nullopt;
  if (!config::UnixSocketPath(listen).has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--socket-mode \"", text, "\" applies only to --listen unix:PATH"));
  }
  absl::StatusOr<uint32_t> mode = ParseOctalMode("--socket-mode", text);
  if (!mode.ok()) return mode.status();
  return *mode;
}

// The etcd endpoints and how to reach them securely (--etcd-*), checked
// before anything starts: INVALID_ARGUMENT naming the flag.
absl::StatusOr<coord::EtcdLeaseOptions> EtcdOptionsFromFlags(const ServeArgs& a) {
  coord::EtcdLeaseOptions opts;
  if (a.etcd.empty()) {
    const EtcdSecurityFlags& f = a.etcd_security;
    for (const auto& [flag, value] :
         {std::pair<const char*, const std::string*>{"--etcd-cacert", &f.cacert},
          {"--etcd-cert", &f.cert},
          {"--etcd-key", &f.key},
          {"--etcd-crl-dir", &f.crl_dir},
          {"--etcd-user", &f.user},
          {"--etcd-password-file", &f.password_file}}) {
      if (!value->empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(flag, " needs --etcd (without it, worker ids live in the state dir)"));
      }
    }
    return opts;
  }
  absl::StatusOr<std::vector<std::string>> endpoints = ParseEtcdEndpoints(a.etcd);
  if (!endpoints.ok()) return endpoints.status();
  opts.endpoints = *std::move(endpoints);
  const char* password = std::getenv("IDGEN_ETCD_PASSWORD");
  IDGEN_RETURN_IF_ERROR(
      ApplyEtcdSecurity(a.etcd_security, opts.endpoints,
                        password == nullptr ? std::nullopt : std::optional<std::string>(password),
                        !SkipKeyPermissionCheck(), absl::Now(), &opts.client));
  return opts;
}

// An etcd password and token over plaintext beyond loopback can be read on
// the way: allowed (a trusted network), but said at start.
void WarnPlaintextEtcdPassword(const coord::EtcdLeaseOptions& etcd, telemetry::Logger* log) {
  if (etcd.client.user.empty() || !etcd.client.tls.ca_file.empty()) return;
  for (const std::string& url : etcd.endpoints) {
    absl::StatusOr<config::Endpoint> e = config::ParseEndpoint(url, {.require_port = true});
    if (e.ok() && !config::IsLocalOnly(e->HostPort())) {
      log->Warn(absl::StrCat("idgen serve: the etcd password and token of user \"",
                             etcd.client.user, "\" go in plaintext to ", url,
                             ", reachable from other machines; use https:// endpoints (see "
                             "docs/SECURITY.md)"));
      return;
    }
  }
}

// The store is checked against the cluster's recorded --worker-ids range (and
// records it on the first start): worker_id_pin.h.
absl::StatusOr<std::unique_ptr<coord::LeaseProvider>> MakeLeaseProvider(
    const ServeArgs& a, coord::EtcdLeaseOptions opts,
    const std::optional<coord::WorkerIdRange>& worker_ids, telemetry::Telemetry* tel) {
  if (a.etcd.empty()) {
    absl::StatusOr<std::unique_ptr<coord::FileLeaseProvider>> files =
        coord::FileLeaseProvider::Create(a.state_dir);
    if (!files.ok()) return files.status();
    IDGEN_RETURN_IF_ERROR(coord::PinWorkerIdsInDir((*files)->workers_dir(), worker_ids));
    return std::unique_ptr<coord::LeaseProvider>(*std::move(files));
  }
  opts.cluster = a.cluster;
  opts.ttl = absl::Seconds(a.lease_ttl_s);
  // etcd call latency, per operation and outcome (docs/OBSERVABILITY.md).
  telemetry::Histogram* latency = tel->meter().CreateHistogram(
      "idgen.etcd.call.duration", "Duration of etcd calls (failover included)", "ms",
      {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000});
  opts.client.observe_call = [latency](std::string_view op, absl::Duration elapsed, bool ok) {
    latency->Record(absl::ToDoubleMilliseconds(elapsed),
                    {{"etcd.op", std::string(op)}, {"outcome", std::string(ok ? "ok" : "error")}});
  };
  absl::StatusOr<std::unique_ptr<coord::EtcdLeaseProvider>> etcd =
      coord::EtcdLeaseProvider::Create(std::move(opts));
  if (!etcd.ok()) return etcd.status();
  IDGEN_RETURN_IF_ERROR(
      coord::PinWorkerIdsInEtcd(*(*etcd)->client(), (*etcd)->cluster(), worker_ids));
  return std::unique_ptr<coord::LeaseProvider>(*std::move(etcd));
}

int RunServe(const ServeArgs& a) {
  for (const absl::Status& s : {config::CheckGrpcListen("--listen", a.listen),
                                config::CheckHostPort("--admin-listen", a.admin_listen)}) {
    if (!s.ok()) {
      std::cerr << "idgen serve: " << s.message() << "\n";
      return 2;
    }
  }
  absl::StatusOr<std::optional<uint32_t>> socket_mode = ParseSocketMode(a.socket_mode, a.listen);
  if (!socket_mode.ok()) {
    std::cerr << "idgen serve: " << socket_mode.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<security::TlsServerConfig> tls = TlsFromFlags(a);
  if (!tls.ok()) {
    std::cerr << "idgen serve: " << tls.status().message() << "\n";
    return 2;
  }
  if (absl::Status s = CheckExposure(a, *tls, nullptr); !s.ok()) {
    std::cerr << "idgen serve: " << s.message() << "\n";
    return 2;
  }
  if (absl::Status s =
          CheckAnonymousExposure(a.auth, "--listen", a.listen, tls->requires_client_certificates());
      !s.ok()) {
    std::cerr << "idgen serve: " << s.message() << "\n";
    return 2;
  }
  // The admin port serves the same certificate when there is one.
  if (absl::Status s =
          CheckPlaintextExposure("--admin-listen", a.admin_listen, tls->enabled(), a.insecure);
      !s.ok()) {
    std::cerr << "idgen serve: " << s.message() << "\n";
    return 2;
  }
  absl::StatusOr<coord::EtcdLeaseOptions> etcd_options = EtcdOptionsFromFlags(a);
  if (!etcd_options.ok()) {
    std::cerr << "idgen serve: " << etcd_options.status().message() << "\n";
    return 2;
  }

  // Read while SIGTERM/SIGINT still stop the process: a FIFO nobody writes
  // would otherwise hold it.
  std::optional<server::ServerConfig> server_config;
  if (!a.config.empty()) {
    absl::StatusOr<server::ServerConfig> loaded = server::LoadServerConfig(a.config, absl::Now());
    if (!loaded.ok()) {
      std::cerr << "idgen serve: " << loaded.status().message() << "\n";
      return 2;
    }
    server_config = *std::move(loaded);
  }
  // Before any store is touched: a range the layouts cannot hold changes nothing.
  std::optional<coord::WorkerIdRange> worker_ids;
  if (!a.worker_ids.empty()) {
    absl::StatusOr<coord::WorkerIdRange> range = coord::ParseWorkerIdRange(a.worker_ids);
    absl::Status s = range.status();
    if (s.ok() && a.worker_id && !range->Contains(*a.worker_id)) {
      s = absl::InvalidArgumentError(
          absl::StrCat("--worker-id ", *a.worker_id, " is outside --worker-ids ", a.worker_ids));
    }
    if (s.ok()) {
      s = coord::CheckWorkerIdRange(
          *range,
          server::LayoutMaxWorkers(server_config ? *server_config : server::DefaultServerConfig()));
    }
    if (!s.ok()) {
      std::cerr << "idgen serve: " << s.message() << "\n";
      return 2;
    }
    worker_ids = *range;
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

  // Before the state dir or etcd is touched (its probe thread, like every
  // other, starts with the signals blocked).
  if (absl::Status s = server::CheckRealtimePriority(static_cast<int>(a.realtime_priority));
      !s.ok()) {
    std::cerr << "idgen serve: " << s.message() << "\n";
    return 1;
  }

  // Telemetry from the OTEL_* environment; bad values were turned into
  // warnings, which Create logs once, and defaults.
  telemetry::Telemetry::Options tel_options;
  tel_options.service_version = IDGEN_VERSION;
  tel_options.extra_resource.emplace_back("service.instance.id",
                                          a.node_name.empty() ? a.listen : a.node_name);
  // OTLP TLS files and header lists that do not parse stop the start.
  const telemetry::ParsedTelemetryConfig tel_config =
      telemetry::ParseTelemetryConfig(telemetry::ProcessEnv(), "idgen-serve");
  if (PrintTelemetryErrors("idgen serve", tel_config)) return 2;
  std::unique_ptr<telemetry::Telemetry> tel =
      telemetry::Telemetry::Create(tel_config, std::move(tel_options));
  telemetry::Logger& log = tel->logger();
  (void)CheckExposure(a, *tls, &log);  // checked above; now the warning, if any
  if (const std::string w =
          PlaintextExposureWarning("--admin-listen", a.admin_listen, tls->enabled());
      !w.empty()) {
    log.Warn(absl::StrCat("idgen serve: ", w));
  }
  WarnPlaintextEtcdPassword(*etcd_options, &log);
  if (const std::string w = AnonymousExposureWarning(a.auth, "--listen", a.listen,
                                                     tls->requires_client_certificates());
      !w.empty()) {
    log.Warn(absl::StrCat("idgen serve: ", w));
  }
  absl::StatusOr<AuthSetup> auth = MakeAuth(
      a.auth,
      [&log](const std::string& m, bool warning) {
        if (warning) {
          log.Warn(absl::StrCat("idgen serve: ", m));
        } else {
          log.Info(absl::StrCat("idgen serve: ", m));
        }
      },
      SystemClock::Get());
  if (!auth.ok()) {
    std::cerr << "idgen serve: " << auth.status().message() << "\n";
    return 2;
  }

  server::NodeOptions options;
  options.telemetry = tel.get();
  options.listen = a.listen;
  options.admin_listen = a.admin_listen;
  options.node_name = a.node_name;
  options.worker_id = a.worker_id;
  options.max_workers = a.max_workers;
  options.worker_ids = worker_ids;
  options.grpc_threads = static_cast<int>(a.grpc_threads);
  options.socket_mode = *socket_mode;
  options.realtime_priority = static_cast<int>(a.realtime_priority);
  options.grpc_limits.max_concurrent_streams = static_cast<int>(a.grpc_max_streams);
  options.grpc_limits.memory_bytes = a.grpc_memory_mib << 20;
  options.grpc_limits.max_receive_message_bytes = static_cast<int>(a.grpc_max_message_bytes);
  options.grpc_limits.min_ping_interval = absl::Milliseconds(a.grpc_min_ping_interval_ms);
  options.grpc_limits.max_metadata_bytes = static_cast<int>(a.grpc_max_metadata_bytes);
  options.grpc_limits.max_connection_idle = absl::Milliseconds(a.grpc_max_idle_ms);
  options.admin_max_connections = static_cast<size_t>(a.admin_max_connections);
  options.admin_header_timeout = absl::Milliseconds(a.admin_header_timeout_ms);
  options.admin_max_header_bytes = static_cast<size_t>(a.admin_max_header_bytes);
  options.admin_max_body_bytes = static_cast<size_t>(a.admin_max_body_bytes);
  options.admin_idle_timeout = absl::Milliseconds(a.admin_idle_timeout_ms);
  options.tls = *tls;
  if (!a.tls_allowed_clients.empty()) {
    absl::StatusOr<std::vector<std::string>> allowed =
        security::ParseAllowList("--tls-allowed-clients", a.tls_allowed_clients);
    if (!allowed.ok()) {
      std::cerr << "idgen serve: " << allowed.status().message() << "\n";
      return 2;
    }
    options.tls_allowed_clients = *std::move(allowed);
  }
  if (server_config) options.config = *std::move(server_config);
  options.authenticator = auth->authenticator;
  options.quota = auth->quota;
  absl::StatusOr<std::unique_ptr<coord::LeaseProvider>> leases =
      MakeLeaseProvider(a, *std::move(etcd_options), worker_ids, tel.get());
  if (!leases.ok()) {
    std::cerr << "idgen serve: " << leases.status().message() << "\n";
    return leases.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  absl::StatusOr<std::unique_ptr<SegmentStores>> segment_stores =
      OpenSegmentStores(a.state_dir, dynamic_cast<coord::EtcdLeaseProvider*>(leases->get()),
                        a.segment_postgres, &options);
  if (!segment_stores.ok()) {
    std::cerr << "idgen serve: " << segment_stores.status().message() << "\n";
    return segment_stores.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  if ((*segment_stores)->postgres != nullptr) {
    log.Info(absl::StrCat("idgen serve: segment store postgres ",
                          (*segment_stores)->postgres->masked_url()));
  }
  absl::StatusOr<std::unique_ptr<server::Node>> node =
      server::Node::Create(options, leases->get(), SystemClock::Get());
  if (!node.ok()) {
    std::cerr << "idgen serve: " << node.status().message() << "\n";
    return node.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  if (absl::Status s = (*node)->Start(); !s.ok()) {
    std::cerr << "idgen serve: " << s.message() << "\n";
    return 1;
  }
  const int64_t worker = (*node)->worker_id();
  log.Info(absl::StrCat("idgen serve: ",
                        worker >= 0 ? absl::StrCat("worker ", worker)
                                    : std::string("no worker id yet (not ready, retrying)"),
                        ", gRPC on ",
                        config::UnixSocketPath(a.listen).has_value()
                            ? a.listen
                            : absl::StrCat("port ", (*node)->grpc_port()),
                        ", admin HTTP on port ", (*node)->admin_port(),
                        a.etcd.empty() ? absl::StrCat(", state dir ", a.state_dir)
                                       : absl::StrCat(", etcd ", a.etcd, " cluster ", a.cluster),
                        a.realtime_priority > 0
                            ? absl::StrCat(", gRPC threads SCHED_FIFO ", a.realtime_priority)
                            : std::string()),
           {{"idgen.worker.id", worker},
            {"grpc.listen", a.listen},
            {"grpc.port", int64_t{(*node)->grpc_port()}},
            {"admin.port", int64_t{(*node)->admin_port()}}});

  auth->authenticator->StartPolling();
  // systemd Type=notify: the ports are bound (a worker id may still be on
  // its way: /health says when the node serves).
  if (absl::Status s = NotifyServiceManager("READY=1"); !s.ok()) {
    log.Warn(absl::StrCat("idgen serve: ", s.message()));
  }
  int sig = 0;
  while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) {
    log.Info("idgen serve: SIGHUP, reading the TLS files and the key file again");
    (void)NotifyServiceManager("RELOADING=1");
    (*node)->ReloadTls();
    auth->authenticator->ReloadNow();
    if (auth->jwt != nullptr) auth->jwt->ReloadNow();
    (void)NotifyServiceManager("READY=1");
  }
  (void)NotifyServiceManager("STOPPING=1");
  // The drain timeout is the graceful-shutdown time of the whole process:
  // draining, then the last telemetry export in what is left of it.
  const absl::Duration shutdown_end =
      SystemClock::Get()->MonotonicNow() + absl::Milliseconds(a.drain_ms);
  log.Info(absl::StrCat("idgen serve: ", (sig == SIGTERM ? "SIGTERM" : "SIGINT"),
                        ", draining (up to ", a.drain_ms, " ms)"));
  (*node)->Shutdown(absl::Milliseconds(a.drain_ms));
  log.Info("idgen serve: stopped, worker id released");
  // Last metrics export and span/log flush, while the node's metric
  // callbacks can still be read.
  tel->Shutdown(shutdown_end - SystemClock::Get()->MonotonicNow());
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "Run an ID node (gRPC API + admin HTTP)");
  cmd->add_option("--listen", args->listen,
                  "gRPC address: HOST:PORT (port 0: any free port) or unix:PATH (a Unix socket)")
      ->envname("IDGEN_LISTEN")
      ->capture_default_str();
  cmd->add_option("--admin-listen", args->admin_listen, "Admin HTTP address (/health, /alive)")
      ->envname("IDGEN_ADMIN_LISTEN")
      ->capture_default_str();
  cmd->add_option("--state-dir", args->state_dir,
                  "Directory for worker-id locks and time reservations (embedded "
                  "coordination; unused with --etcd) and segments.db (segment namespaces "
                  "on SQLite)")
      ->envname("IDGEN_STATE_DIR")
      ->capture_default_str();
  cmd->add_option("--worker-id", args->worker_id, "Claim this worker id (fails if taken)")
      ->envname("IDGEN_WORKER_ID")
      ->check(WholeNumberAtLeast(0));
  cmd->add_option("--max-workers", args->max_workers,
                  "Use only worker ids below this (default: what the layouts allow)")
      ->envname("IDGEN_MAX_WORKERS")
      ->check(WholeNumberAtLeast(1));
  cmd->add_option("--worker-ids", args->worker_ids,
                  "LO-HI: claim only worker ids in this range, both included (several clusters "
                  "on their own etcd share one layout with disjoint ranges; every node of a "
                  "cluster takes the same range; see docs/DEPLOYMENT.md)")
      ->envname("IDGEN_WORKER_IDS");
  cmd->add_option("--config", args->config, "Namespace config file (JSON, see docs/API.md)")
      ->envname("IDGEN_CONFIG");
  cmd->add_option("--segment-postgres", args->segment_postgres,
                  "PostgreSQL connection URL for segment namespaces with \"store\": \"postgres\" "
                  "(libpq syntax; TLS and password also from PGSSLMODE, PGPASSFILE, ...; the "
                  "password is never logged)")
      ->envname("IDGEN_SEGMENT_POSTGRES");
  cmd->add_option("--node-name", args->node_name, "Name shown in GetInfo (default: hostname)")
      ->envname("IDGEN_NODE_NAME");
  cmd->add_option("--drain-timeout-ms", args->drain_ms, "How long shutdown waits for calls")
      ->envname("IDGEN_DRAIN_TIMEOUT_MS")
      ->check(WholeNumberIn(0, 600'000))
      ->capture_default_str();
  cmd->add_option("--grpc-threads", args->grpc_threads,
                  "gRPC completion queues, one thread each; 1 answers the most requests per "
                  "CPU second, more help many busy connections on a many-core machine")
      ->envname("IDGEN_GRPC_THREADS")
      ->check(WholeNumberIn(1, 64))
      ->capture_default_str();
  cmd->add_option("--socket-mode", args->socket_mode,
                  "With --listen unix:PATH: the socket file's permission bits, octal (e.g. 660 "
                  "lets the group connect); default: as the umask leaves them")
      ->envname("IDGEN_SOCKET_MODE");
  cmd->add_option("--realtime-priority", args->realtime_priority,
                  "1..99: run the gRPC threads under SCHED_FIFO at this priority (needs root or "
                  "CAP_SYS_NICE; for a node that shares its CPUs and must keep a short tail, "
                  "never for one run flat out; see docs/OPERATIONS.md); 0: normal scheduling")
      ->envname("IDGEN_REALTIME_PRIORITY")
      ->check(WholeNumberIn(0, server::kMaxRealtimePriority))
      ->capture_default_str();
  cmd->add_option("--grpc-max-streams", args->grpc_max_streams,
                  "Streams one gRPC connection may have open at once (HTTP/2 "
                  "SETTINGS_MAX_CONCURRENT_STREAMS); more are refused")
      ->envname("IDGEN_GRPC_MAX_STREAMS")
      ->check(WholeNumberIn(1, 1'000'000))
      ->capture_default_str();
  cmd->add_option("--grpc-memory-mib", args->grpc_memory_mib,
                  "Memory the gRPC listener's connections may hold, in MiB (a gRPC resource "
                  "quota: past it, reading stops and the largest holders are closed)")
      ->envname("IDGEN_GRPC_MEMORY_MIB")
      ->check(WholeNumberIn(16, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--grpc-max-message-bytes", args->grpc_max_message_bytes,
                  "Largest gRPC request message; larger ones get RESOURCE_EXHAUSTED")
      ->envname("IDGEN_GRPC_MAX_MESSAGE_BYTES")
      ->check(WholeNumberIn(1024, 64 << 20))
      ->capture_default_str();
  cmd->add_option("--grpc-min-ping-interval-ms", args->grpc_min_ping_interval_ms,
                  "Keepalive pings from a client more often than this (without calls in "
                  "between) count as strikes; the third gets GOAWAY too_many_pings")
      ->envname("IDGEN_GRPC_MIN_PING_INTERVAL_MS")
      ->check(WholeNumberIn(1000, 3'600'000))
      ->capture_default_str();
  cmd->add_option("--grpc-max-metadata-bytes", args->grpc_max_metadata_bytes,
                  "Largest header list (metadata) of one gRPC request; larger ones are refused")
      ->envname("IDGEN_GRPC_MAX_METADATA_BYTES")
      ->check(WholeNumberIn(1024, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--grpc-max-idle-ms", args->grpc_max_idle_ms,
                  "A gRPC connection with no call open this long is closed (GOAWAY); "
                  "clients reconnect when they next call")
      ->envname("IDGEN_GRPC_MAX_IDLE_MS")
      ->check(WholeNumberIn(1000, 24 * 3'600'000))
      ->capture_default_str();
  cmd->add_option("--admin-max-connections", args->admin_max_connections,
                  "Most connections the admin HTTP listener keeps open; a new one beyond it "
                  "closes the longest-idle one")
      ->envname("IDGEN_ADMIN_MAX_CONNECTIONS")
      ->check(WholeNumberIn(1, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--admin-header-timeout-ms", args->admin_header_timeout_ms,
                  "An admin request header must arrive within this of its first byte (a new "
                  "connection's: of the accept); slower clients are closed")
      ->envname("IDGEN_ADMIN_HEADER_TIMEOUT_MS")
      ->check(WholeNumberIn(100, 3'600'000))
      ->capture_default_str();
  cmd->add_option("--admin-max-header-bytes", args->admin_max_header_bytes,
                  "Largest admin request line and header block; larger ones get 431")
      ->envname("IDGEN_ADMIN_MAX_HEADER_BYTES")
      ->check(WholeNumberIn(1024, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--admin-max-body-bytes", args->admin_max_body_bytes,
                  "Largest admin request body (the admin API reads none); larger ones get 413")
      ->envname("IDGEN_ADMIN_MAX_BODY_BYTES")
      ->check(WholeNumberIn(64, 1 << 24))
      ->capture_default_str();
  cmd->add_option("--admin-idle-timeout-ms", args->admin_idle_timeout_ms,
                  "How long an idle admin keep-alive connection is kept open")
      ->envname("IDGEN_ADMIN_IDLE_TIMEOUT_MS")
      ->check(WholeNumberIn(100, 3'600'000))
      ->capture_default_str();
  cmd->add_flag("--insecure", args->insecure,
                "Allow --listen on an address other machines can reach without mutual TLS "
                "(plaintext, or TLS without client certificates), and --admin-listen there "
                "without TLS; refused without it (see docs/SECURITY.md)")
      ->envname("IDGEN_INSECURE");
  AddTlsServerFlags(cmd, &args->tls, "the gRPC and admin listeners");
  cmd->add_option("--tls-allowed-clients", args->tls_allowed_clients,
                  "With mutual TLS: client certificate names (CN or SAN, comma-separated) that "
                  "may take IDs; others get PERMISSION_DENIED (default: any certificate from "
                  "--tls-client-ca)")
      ->envname("IDGEN_TLS_ALLOWED_CLIENTS");
  CLI::Option* etcd =
      cmd->add_option("--etcd", args->etcd,
                      "etcd endpoints, http://HOST:PORT[,...] or https://HOST:PORT[,...]: "
                      "cluster coordination instead of the state dir")
          ->envname("IDGEN_ETCD");
  AddEtcdSecurityFlags(cmd, &args->etcd_security);
  cmd->add_option("--cluster", args->cluster,
                  "Cluster name: keys live under /idgen/NAME/ in etcd (needs --etcd)")
      ->envname("IDGEN_CLUSTER")
      ->capture_default_str()
      ->needs(etcd);
  cmd->add_option("--lease-ttl", args->lease_ttl_s,
                  "etcd lease time-to-live in whole seconds, >= 2 (needs --etcd)")
      ->envname("IDGEN_LEASE_TTL")
      ->check(WholeNumberAtLeast(2))
      ->capture_default_str()
      ->needs(etcd);
  AddAuthFlags(cmd, &args->auth);
  cmd->callback([args, exit_code] { *exit_code = RunServe(*args); });
}

}  // namespace idgen::cli
