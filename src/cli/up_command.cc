// Copyright idgen authors.
//
// `idgen up`: runs the whole distributed application locally (etcd, N ID
// nodes, the gateway, optionally Prometheus), supervised, with a dashboard.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "src/apphost/app_model.h"
#include "src/apphost/dashboard.h"
#include "src/apphost/dashboard_access.h"
#include "src/apphost/local_pki.h"
#include "src/apphost/otlp_receiver.h"
#include "src/apphost/supervisor.h"
#include "src/apphost/telemetry_store.h"
#include "src/cli/commands.h"
#include "src/cli/flag_checks.h"
#include "src/config/endpoint.h"
#include "src/config/json_fields.h"
#include "src/security/tls_server_config.h"

namespace idgen::cli {
namespace {

struct UpArgs {
  std::string app_file;
  std::optional<int> nodes;
  bool embedded = false;
  std::optional<int> etcd_members;
  bool prometheus = false;
  std::optional<std::string> gateway_listen;
  std::optional<std::string> dashboard_listen;
  std::optional<std::string> state_dir;
  int start_timeout_s = 120;
  bool insecure = false;
  bool gateway_tls = false;
  std::string dashboard_token;  // empty: a random one
  bool dashboard_open = false;
  std::string dashboard_hosts;  // comma-separated
};

// A TLS server config for the AppHost's own listeners from the run's PKI:
// the "apphost" leaf, clients must present a leaf of the same CA.
security::TlsServerConfig AppHostTls(const apphost::LocalPki& pki) {
  security::TlsServerConfig tls;
  tls.cert_file = pki.cert_file("apphost");
  tls.key_file = pki.key_file("apphost");
  tls.client_ca_file = pki.ca_file();
  tls.client_auth = security::ClientAuth::kRequire;
  return tls;
}

// Whether the state dir's etcd data was made with TLS ("tls") or without
// ("plaintext"): etcd keeps its members' peer URLs, scheme included, so a
// cluster made one way does not start the other way.
absl::Status CheckLinkMode(const std::string& file, bool secure) {
  const std::string mode = secure ? "tls" : "plaintext";
  absl::StatusOr<std::string> before = config::ReadTextFile(file);
  if (before.ok()) {
    const std::string was(absl::StripAsciiWhitespace(*before));
    if (was != mode) {
      return absl::FailedPreconditionError(absl::StrCat(
          "this state dir's etcd was made ", was == "tls" ? "with TLS" : "with --insecure",
          "; run the same way again, or use another --state-dir (or delete this one)"));
    }
    return absl::OkStatus();
  }
  std::ofstream out(file, std::ios::trunc);
  out << mode << "\n";
  if (!out) return absl::PermissionDeniedError(absl::StrCat("cannot write ", file));
  return absl::OkStatus();
}

// Binds 127.0.0.1:port (0: any) and returns the port, released again.
absl::StatusOr<int> BindablePort(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("port ", port, " on 127.0.0.1 is in use"));
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

// A free loopback port for a service of the run, from below the kernel's
// ephemeral range (net.ipv4.ip_local_port_range): the kernel never gives
// those to outgoing connections. A port from bind(0) is in that range: it is
// released at once, and before the service binds it, it can become the
// source port of some connection, or come back from a later bind(0) for
// another service. Either left a node unable to start, again and again, for
// a whole run. Falls back to bind(0) when there is little room below the
// range. Ports are not handed out twice in one process. Call from one
// thread.
absl::StatusOr<int> FreeServicePort() {
  constexpr int kLowest = 10000;
  int ephemeral_low = 32768;
  int ephemeral_high = 60999;
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  if (!(range >> ephemeral_low >> ephemeral_high)) ephemeral_low = 32768;
  if (ephemeral_low - kLowest < 1000) return BindablePort(0);
  static std::set<int> given;
  static std::mt19937 random{std::random_device{}()};
  std::uniform_int_distribution<int> pick(kLowest, ephemeral_low - 1);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int port = pick(random);
    if (given.contains(port) || !BindablePort(port).ok()) continue;
    given.insert(port);
    return port;
  }
  return BindablePort(0);
}

// A validated HOST:PORT listen address, split (port 0: any).
config::Endpoint ListenAddress(const std::string& listen) {
  absl::StatusOr<config::Endpoint> e = config::ParseEndpoint(listen, {.allow_port_zero = true});
  return e.ok() ? *std::move(e) : config::Endpoint{};
}

// OK unless `listen` ("HOST:PORT", validated) names a port other than 0
// that cannot be bound on loopback; then UNAVAILABLE naming the port.
absl::Status CheckPortFree(const std::string& what, const std::string& listen,
                           const std::string& flag) {
  const int port = ListenAddress(listen).port;
  if (port == 0 || BindablePort(port).ok()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(what, " address ", listen, " (port ", port,
                                             ") is in use; pass ", flag, " or stop what uses it"));
}

// The ports of the previous run in this state dir, kept where still free
// (etcd's members must find each other where their data says they are).
absl::StatusOr<apphost::PortPlan> LoadPorts(const std::string& file) {
  apphost::PortPlan plan;
  absl::StatusOr<std::string> text = config::ReadTextFile(file);
  if (!text.ok()) return plan;  // first run
  absl::StatusOr<config::Json> json = config::ParseJson(*text);
  if (!json.ok() || !json->is_object()) {
    return absl::FailedPreconditionError(
        absl::StrCat(file, " is damaged; delete it (or the whole state dir) and try again"));
  }
  for (const auto& [key, value] : json->items()) {
    if (!value.is_number_integer()) continue;
    const int port = value.get<int>();
    if (BindablePort(port).ok()) {
      plan.ports[key] = port;
    } else if (key.rfind("etcd-", 0) == 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "port ", port, " of ", key, " (kept in ", file,
          " because etcd's data remembers it) is in use; stop what uses it or use another "
          "--state-dir"));
    }
  }
  return plan;
}

absl::Status SavePorts(const std::string& file, const apphost::PortPlan& plan) {
  config::Json json = config::Json::object();
  for (const auto& [k, v] : plan.ports) json[k] = v;
  std::ofstream out(file, std::ios::trunc);
  out << json.dump(2) << "\n";
  if (!out) return absl::PermissionDeniedError(absl::StrCat("cannot write ", file));
  return absl::OkStatus();
}

// The program as exec would find it: a path with '/', or on PATH.
bool Runnable(const std::string& program) {
  if (program.find('/') != std::string::npos) return access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path ? path : "/usr/bin:/bin", ':')) {
    if (access(absl::StrCat(dir, "/", program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

std::string SelfPath() {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "idgen" : p.string();
}

int Fail(const absl::Status& s, int code) {
  std::cerr << "idgen up: " << s.message() << "\n";
  return code;
}

int RunUp(const UpArgs& a) {
  apphost::AppModel model;
  if (!a.app_file.empty()) {
    absl::StatusOr<apphost::AppModel> loaded = apphost::LoadAppModel(a.app_file);
    if (!loaded.ok()) return Fail(loaded.status(), 2);
    model = *std::move(loaded);
  }
  if (a.nodes) model.nodes = *a.nodes;
  if (a.embedded) model.embedded = true;
  if (a.etcd_members) model.etcd_members = *a.etcd_members;
  if (a.prometheus) model.prometheus = true;
  if (a.gateway_listen) model.gateway_listen = *a.gateway_listen;
  if (a.dashboard_listen) model.dashboard_listen = *a.dashboard_listen;
  if (a.state_dir) model.state_dir = *a.state_dir;
  if (a.insecure) model.insecure = true;
  if (a.gateway_tls) model.gateway_tls = true;
  if (absl::Status s = apphost::ValidateAppModel(model); !s.ok()) return Fail(s, 2);
  apphost::DashboardAccessOptions access_options;
  access_options.token = a.dashboard_token;
  access_options.open = a.dashboard_open;
  for (absl::string_view h : absl::StrSplit(a.dashboard_hosts, ',', absl::SkipWhitespace())) {
    access_options.hosts.emplace_back(absl::StripAsciiWhitespace(h));
  }
  // The address the dashboard listens on names it too (the printed URL uses
  // it), unless it is a wildcard (the URL then names loopback) or IPv6.
  const std::string dashboard_host = ListenAddress(model.dashboard_listen).host;
  if (!dashboard_host.empty() && dashboard_host != "0.0.0.0" &&
      dashboard_host.find(':') == std::string::npos) {
    access_options.hosts.push_back(dashboard_host);
  }
  absl::StatusOr<std::unique_ptr<apphost::DashboardAccess>> access =
      apphost::DashboardAccess::Create(std::move(access_options));
  if (!access.ok()) return Fail(access.status(), 2);
  if (!model.embedded && !Runnable(model.etcd_binary)) {
    return Fail(absl::FailedPreconditionError(absl::StrCat(
                    "etcd binary \"", model.etcd_binary,
                    "\" not found (install Debian's etcd-server, set etcd.binary in the app file, "
                    "or use --embedded)")),
                2);
  }
  if (model.prometheus && !Runnable(model.prometheus_binary)) {
    return Fail(absl::FailedPreconditionError(absl::StrCat(
                    "prometheus binary \"", model.prometheus_binary,
                    "\" not found (install Debian's prometheus or leave it disabled)")),
                2);
  }
  // A port in use is a configuration error (exit 2), found before anything
  // starts.
  if (model.gateway) {
    if (absl::Status s = CheckPortFree("gateway", model.gateway_listen, "--gateway-listen");
        !s.ok()) {
      return Fail(s, 2);
    }
  }
  if (absl::Status s = CheckPortFree("dashboard", model.dashboard_listen, "--dashboard-listen");
      !s.ok()) {
    return Fail(s, 2);
  }

  std::error_code ec;
  std::filesystem::create_directories(model.state_dir, ec);
  if (ec) {
    return Fail(absl::PermissionDeniedError(
                    absl::StrCat("cannot create state dir ", model.state_dir, ": ", ec.message())),
                1);
  }
  model.state_dir = std::filesystem::absolute(model.state_dir).string();
  if (model.node_config.empty()) {
    // The built-in namespaces plus a segment namespace, `orders`.
    model.node_config = model.state_dir + "/namespaces.json";
    std::ofstream f(model.node_config, std::ios::trunc);
    f << apphost::DefaultUpNamespacesJson();
    if (!f.flush()) {
      return Fail(absl::PermissionDeniedError(absl::StrCat("cannot write ", model.node_config)), 1);
    }
  }
  const std::string ports_file = model.state_dir + "/ports.json";
  absl::StatusOr<apphost::PortPlan> plan = LoadPorts(ports_file);
  if (!plan.ok()) return Fail(plan.status(), 2);
  // The dashboard's port is needed before it listens: every service sends
  // its telemetry there (OTLP/HTTP).
  config::Endpoint dashboard_address = ListenAddress(model.dashboard_listen);
  if (dashboard_address.port == 0) {
    absl::StatusOr<int> port = FreeServicePort();
    if (!port.ok()) return Fail(port.status(), 1);
    dashboard_address.port = *port;
    model.dashboard_listen = dashboard_address.HostPort();
  }
  // Unless --insecure: mutual TLS on every link between the processes,
  // with certificates made for this state dir (kept across runs, renewed
  // near expiry), and telemetry sent to an OTLP/HTTPS port of its own.
  std::optional<apphost::LocalPki> pki;
  if (!model.embedded) {
    if (absl::Status s = CheckLinkMode(model.state_dir + "/links", !model.insecure); !s.ok()) {
      return Fail(s, 2);
    }
  }
  if (model.insecure) {
    std::cerr << "idgen up: WARNING: --insecure: etcd, the nodes and the gateway talk in "
                 "plaintext and accept any local caller\n";
  } else {
    absl::StatusOr<apphost::LocalPki> made = apphost::LocalPki::Ensure(
        model.state_dir + "/tls", apphost::CertificateNames(model), absl::Now());
    if (!made.ok()) return Fail(made.status(), 1);
    pki = *std::move(made);
    if (!pki->made().empty()) {
      std::cerr << "idgen up: made certificates in " << pki->dir() << ": "
                << absl::StrJoin(pki->made(), ", ") << "\n";
    }
  }

  // Signals: blocked before any thread exists; main waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  // The telemetry receivers listen before the ports of the resources are
  // chosen, so none of those can be theirs.
  apphost::TelemetryStore telemetry;
  const security::TlsServerConfig apphost_tls =
      pki ? AppHostTls(*pki) : security::TlsServerConfig{};
  // OTLP/gRPC too, for services configured that way (port shown in /api).
  absl::StatusOr<std::unique_ptr<apphost::OtlpGrpcReceiver>> otlp_grpc =
      apphost::OtlpGrpcReceiver::Start("127.0.0.1:0", &telemetry, apphost_tls);
  if (!otlp_grpc.ok()) return Fail(otlp_grpc.status(), 1);
  std::unique_ptr<apphost::OtlpHttpsReceiver> otlp_https;
  if (pki) {
    absl::StatusOr<std::unique_ptr<apphost::OtlpHttpsReceiver>> started =
        apphost::OtlpHttpsReceiver::Start("127.0.0.1:0", apphost_tls, &telemetry);
    if (!started.ok()) return Fail(started.status(), 1);
    otlp_https = *std::move(started);
  }

  apphost::Wiring wiring;
  wiring.idgen_binary = SelfPath();
  wiring.otlp_endpoint = otlp_https ? absl::StrCat("https://127.0.0.1:", otlp_https->port())
                                    : absl::StrCat("http://", model.dashboard_listen);
  wiring.pki = pki ? &*pki : nullptr;
  wiring.free_port = [] { return FreeServicePort(); };
  absl::StatusOr<std::vector<apphost::ResourceSpec>> specs =
      apphost::BuildResources(model, wiring, &*plan);
  if (!specs.ok()) return Fail(specs.status(), 1);
  if (absl::Status s = SavePorts(ports_file, *plan); !s.ok()) return Fail(s, 1);
  if (model.prometheus) {
    std::ofstream out(model.state_dir + "/prometheus.yml", std::ios::trunc);
    out << apphost::PrometheusConfig(model, *plan, wiring.pki);
  }

  const absl::Time t0 = absl::Now();
  auto progress = [t0](const std::string& name, const std::string& state,
                       const std::string& detail) {
    std::fprintf(stderr, "[%6.1fs] %-12s %-10s %s\n", absl::ToDoubleSeconds(absl::Now() - t0),
                 name.c_str(), state.c_str(), detail.substr(0, 160).c_str());
  };
  apphost::SupervisorOptions sup_options;
  if (pki) {
    sup_options.probe_tls.ca_file = pki->ca_file();
    sup_options.probe_tls.cert_file = pki->cert_file("apphost");
    sup_options.probe_tls.key_file = pki->key_file("apphost");
  }
  absl::StatusOr<std::unique_ptr<apphost::Supervisor>> sup =
      apphost::Supervisor::Create(*specs, sup_options, progress);
  if (!sup.ok()) return Fail(sup.status(), 2);
  absl::StatusOr<std::unique_ptr<apphost::Dashboard>> dash =
      apphost::Dashboard::Start(model.dashboard_listen, sup->get(), &telemetry, access->get());
  if (!dash.ok()) return Fail(dash.status(), 2);  // its port taken since the check above
  if ((*access)->open()) {
    std::cerr << "idgen up: warning: --dashboard-open: the dashboard needs no login and accepts "
                 "any Host and Origin; any web page open in a browser on this machine can stop "
                 "the services"
              << std::endl;
  }
  dashboard_address.port = (*dash)->port();
  // A wildcard address is reached on loopback (a Host the dashboard accepts).
  std::string dashboard_url = absl::StrCat("http://", dashboard_address.HostPort());
  if (dashboard_address.host == "0.0.0.0") {
    dashboard_url = absl::StrCat("http://127.0.0.1:", dashboard_address.port);
  } else if (dashboard_address.host == "::") {
    dashboard_url = absl::StrCat("http://[::1]:", dashboard_address.port);
  }
  std::cerr << "idgen up: state dir " << model.state_dir << ", dashboard " << dashboard_url
            << ", OTLP/HTTP " << dashboard_url << "/v1/{traces,metrics,logs}";
  if (otlp_https) std::cerr << ", OTLP/HTTPS (mTLS) https://127.0.0.1:" << otlp_https->port();
  std::cerr << ", OTLP/gRPC" << (pki ? " (mTLS)" : "") << " 127.0.0.1:" << (*otlp_grpc)->port()
            << std::endl;

  (*sup)->Start();
  absl::Status healthy = (*sup)->WaitAllHealthy(absl::Seconds(a.start_timeout_s));
  if (!healthy.ok()) {
    std::cerr << "idgen up: " << healthy.message() << "\nidgen up: stopping everything\n";
    (*sup)->StopAll();
    (*otlp_grpc)->Stop();
    if (otlp_https) otlp_https->Stop();
    (*dash)->Stop();
    return 1;
  }
  std::printf("\nidgen up: %zu resources healthy in %.1f s\n\n", (*sup)->order().size(),
              absl::ToDoubleSeconds(absl::Now() - t0));
  std::printf("  %-12s %-9s %-8s %s\n", "RESOURCE", "STATE", "PID", "ENDPOINTS");
  for (const apphost::ResourceView& v : (*sup)->Snapshot()) {
    std::string eps;
    for (const auto& [label, url] : v.spec.endpoints) absl::StrAppend(&eps, label, " ", url, "  ");
    std::printf("  %-12s %-9s %-8d %s\n", v.spec.name.c_str(), v.state.c_str(), v.pid, eps.c_str());
  }
  std::printf("\n");
  if (model.gateway) {
    const char* scheme = model.gateway_tls ? "https" : "http";
    std::printf("  REST API    %s://%s/v1/ids?count=5\n", scheme, model.gateway_listen.c_str());
    std::printf("  Swagger UI  %s://%s/docs\n", scheme, model.gateway_listen.c_str());
    if (model.gateway_tls) {
      std::printf("  CA file     %s   (curl --cacert %s https://%s/v1/ids)\n",
                  pki->ca_file().c_str(), pki->ca_file().c_str(), model.gateway_listen.c_str());
    }
  }
  if (pki) {
    std::printf("  Internal links: mutual TLS, certificates in %s\n", pki->dir().c_str());
  } else {
    std::printf("  Internal links: PLAINTEXT (--insecure)\n");
  }
  if ((*access)->open()) {
    std::printf("  Dashboard   %s   (OPEN: no login, any Host or Origin)\n", dashboard_url.c_str());
  } else {
    // The one place the token is shown.
    std::printf("  Dashboard   %s/login?t=%s\n", dashboard_url.c_str(), (*access)->token().c_str());
  }
  std::printf("\nPress Ctrl-C to stop.\n");
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  std::cerr << "idgen up: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT")
            << ", stopping in reverse order" << std::endl;
  (*sup)->StopAll();
  (*otlp_grpc)->Stop();
  if (otlp_https) otlp_https->Stop();
  (*dash)->Stop();
  std::cerr << "idgen up: stopped" << std::endl;
  return 0;
}

}  // namespace

void AddUpCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<UpArgs>();
  CLI::App* cmd = app.add_subcommand(
      "up", "Run the whole application locally: etcd, ID nodes, gateway, dashboard");
  cmd->add_option("--app", args->app_file, "App model file (JSON, see docs/OPERATIONS.md)")
      ->envname("IDGEN_UP_APP");
  cmd->add_option("--nodes", args->nodes, "Number of ID nodes (default 3)")
      ->envname("IDGEN_UP_NODES")
      ->check(WholeNumberIn(1, 64));
  cmd->add_flag("--embedded", args->embedded,
                "File-lock coordination in the state dir instead of etcd")
      ->envname("IDGEN_UP_EMBEDDED");
  cmd->add_option("--etcd-members", args->etcd_members, "etcd members: 1 (default) or 3")
      ->envname("IDGEN_UP_ETCD_MEMBERS")
      ->check(CLI::IsMember({1, 3}));
  cmd->add_flag("--prometheus", args->prometheus, "Also run Prometheus scraping every process")
      ->envname("IDGEN_UP_PROMETHEUS");
  cmd->add_option("--gateway-listen", args->gateway_listen,
                  "REST gateway address (default 127.0.0.1:8080)")
      ->envname("IDGEN_UP_GATEWAY_LISTEN");
  cmd->add_option("--dashboard-listen", args->dashboard_listen,
                  "Dashboard address (default 127.0.0.1:18888)")
      ->envname("IDGEN_UP_DASHBOARD_LISTEN");
  cmd->add_option("--dashboard-token", args->dashboard_token,
                  "Fixed login token for the dashboard, 16..256 characters (default: a random "
                  "one, shown in the printed login URL)")
      ->envname("IDGEN_DASHBOARD_TOKEN");
  cmd->add_flag("--dashboard-open", args->dashboard_open,
                "No login and no Host/Origin checks on the dashboard (unsafe: any web page in a "
                "browser on this machine can use it)")
      ->envname("IDGEN_DASHBOARD_OPEN");
  cmd->add_option("--dashboard-host", args->dashboard_hosts,
                  "Host names (comma-separated, no port) the dashboard accepts in Host and "
                  "Origin besides localhost, 127.0.0.1 and [::1]")
      ->envname("IDGEN_DASHBOARD_HOST");
  cmd->add_option("--state-dir", args->state_dir,
                  "Where etcd data, node state and logs live (default .idgen/up)")
      ->envname("IDGEN_UP_STATE_DIR");
  cmd->add_flag("--insecure", args->insecure,
                "Plaintext between etcd, the nodes and the gateway (default: mutual TLS with "
                "certificates made in the state dir)")
      ->envname("IDGEN_UP_INSECURE");
  cmd->add_flag("--gateway-tls", args->gateway_tls,
                "Serve the REST API over HTTPS with the run's certificates (default: plain "
                "HTTP on loopback)")
      ->envname("IDGEN_UP_GATEWAY_TLS");
  cmd->add_option("--start-timeout", args->start_timeout_s,
                  "Seconds to wait for every resource to be healthy")
      ->envname("IDGEN_UP_START_TIMEOUT")
      ->check(WholeNumberIn(1, 3600))
      ->capture_default_str();
  cmd->callback([args, exit_code] { *exit_code = RunUp(*args); });
}

}  // namespace idgen::cli
