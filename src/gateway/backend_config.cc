// Copyright idgen authors.
#include "src/gateway/backend_config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "src/base/status_macros.h"
#include "src/config/endpoint.h"
#include "src/config/host_port.h"

namespace idgen::gateway {
namespace {

enum class Family { kV4, kV6, kUnix };

struct Address {
  Family family;
  std::string text;  // "127.0.0.1:7001", "[::1]:7001" or "/run/idgen.sock"
};

// gRPC's scheme for a list of one family's addresses: "ipv4:a,b".
std::string SchemeOf(Family f) {
  switch (f) {
    case Family::kV4:
      return "ipv4:";
    case Family::kV6:
      return "ipv6:";
    case Family::kUnix:
      return "unix:";
  }
  return "";
}

[[nodiscard]] absl::StatusOr<Address> ParseAddress(const std::string& entry) {
  auto bad = [&entry](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat("backend \"", entry, "\": ", why));
  };
  if (entry.rfind("unix:", 0) == 0) {
    IDGEN_RETURN_IF_ERROR(config::CheckGrpcListen("backend", entry));
    std::optional<std::string> path = config::UnixSocketPath(entry);
    // In a list ("unix:/a,/b") a comma would split the path.
    if (path->find(',') != std::string::npos) return bad("a socket path cannot contain ','");
    // "unix:" + "//run/a.sock" would read as a host ("unix://run/..."); the
    // kernel reads leading slashes as one.
    const size_t slashes = std::min(path->find_first_not_of('/'), path->size());
    if (slashes > 1) path->erase(0, slashes - 1);
    return Address{Family::kUnix, *std::move(path)};
  }
  absl::StatusOr<config::Endpoint> e = config::ParseEndpoint(entry);
  constexpr const char* kForms = "HOST:PORT, [IPV6]:PORT, unix:PATH or dns:///NAME:PORT";
  if (!e.ok()) return bad(absl::StrCat(e.status().message(), " (expected ", kForms, ")"));
  if (e->scheme != config::Scheme::kNone) return bad(absl::StrCat("expected ", kForms));
  if (e->IsIpv6()) return Address{Family::kV6, e->HostPort()};
  std::string host = e->host;
  if (host == "localhost") host = "127.0.0.1";
  in_addr a4{};
  if (inet_pton(AF_INET, host.c_str(), &a4) != 1) {
    return bad(
        "host must be an IPv4 address, a bracketed IPv6 address or localhost; "
        "for names use dns:///NAME:PORT");
  }
  return Address{Family::kV4, absl::StrCat(host, ":", e->port)};
}

}  // namespace

std::vector<std::string> SplitBackendList(std::string_view list) {
  std::vector<std::string> out;
  for (absl::string_view item : absl::StrSplit(absl::string_view(list.data(), list.size()), ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (!item.empty()) out.emplace_back(item);
  }
  return out;
}

absl::StatusOr<BackendTargets> ResolveBackends(const std::vector<std::string>& backends) {
  if (backends.empty()) {
    return absl::InvalidArgumentError("--backends: at least one backend is required");
  }
  BackendTargets t;
  t.names = backends;
  if (backends.front().rfind("dns:", 0) == 0) {
    if (backends.size() > 1) {
      return absl::InvalidArgumentError(
          "--backends: a dns:/// target must be the only backend (it resolves to all of them)");
    }
    const std::string& dns = backends.front();
    if (dns.rfind("dns:///", 0) != 0 || dns.size() <= 7 || dns.find(':', 7) == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("backend \"", dns, "\": expected dns:///NAME:PORT"));
    }
    t.balanced = dns;
    t.each = {dns};
    return t;
  }
  std::vector<Address> addresses;
  for (const std::string& entry : backends) {
    if (entry.rfind("dns:", 0) == 0) {
      return absl::InvalidArgumentError(
          "--backends: a dns:/// target must be the only backend (it resolves to all of them)");
    }
    IDGEN_ASSIGN_OR_RETURN(Address a, ParseAddress(entry));
    for (const Address& seen : addresses) {
      if (seen.text == a.text) {
        return absl::InvalidArgumentError(absl::StrCat("backend \"", entry, "\" is listed twice"));
      }
    }
    if (!addresses.empty() && addresses.front().family != a.family) {
      return absl::InvalidArgumentError(
          "--backends: IPv4, IPv6 and unix: addresses cannot be mixed in one list "
          "(gRPC balances over one kind of address)");
    }
    addresses.push_back(std::move(a));
  }
  const std::string scheme = SchemeOf(addresses.front().family);
  std::vector<std::string> texts;
  for (const Address& a : addresses) {
    texts.push_back(a.text);
    t.each.push_back(scheme + a.text);
  }
  t.balanced = scheme + absl::StrJoin(texts, ",");
  return t;
}

absl::Status CheckBackendConfig(const BackendConfig& c) {
  if (c.call_timeout < absl::Milliseconds(1) || c.call_timeout > absl::Seconds(60)) {
    return absl::InvalidArgumentError("--call-timeout-ms must be in 1..60000");
  }
  if (c.retry_attempts < 1 || c.retry_attempts > 5) {
    return absl::InvalidArgumentError("--retry-attempts must be in 1..5");
  }
  if (c.retry_backoff < absl::Milliseconds(1) || c.retry_backoff > absl::Seconds(10)) {
    return absl::InvalidArgumentError("--retry-backoff-ms must be in 1..10000");
  }
  if (c.max_in_flight < 1 || c.max_in_flight > 1'000'000) {
    return absl::InvalidArgumentError("--max-in-flight must be in 1..1000000");
  }
  // The calls are balanced over one channel to every backend, and gRPC
  // checks every node's certificate against that channel's one name: with
  // several backends it cannot be an address of one of them.
  if (c.tls.enabled() && c.tls.server_name.empty() && c.backends.size() > 1) {
    return absl::InvalidArgumentError(
        "--backend-tls-server-name is needed with several --backends over TLS: the gateway "
        "checks every node's certificate against one name, so give a DNS name every node's "
        "certificate carries (a subjectAltName they share, e.g. idgen-node.internal)");
  }
  return absl::OkStatus();
}

std::string ServiceConfigJson(const BackendConfig& c) {
  nlohmann::ordered_json j;
  j["loadBalancingConfig"] = nlohmann::json::array({{{"round_robin", nlohmann::json::object()}}});
  if (c.health_check) j["healthCheckConfig"] = {{"serviceName", "idgen.v1.IdGenerator"}};
  // No retryPolicy: Backends retries itself, so that retries are counted and
  // traced (gRPC's own retries are invisible to the application).
  return j.dump();
}

std::string WithTransportHint(std::string_view message, const security::TlsClientConfig& tls) {
  bool refused = false;
  for (std::string_view sign : {"Socket closed", "Connection reset", "handshake", "Handshake",
                                "SSL", "ssl_", "certificate"}) {
    refused = refused || message.find(sign) != std::string_view::npos;
  }
  if (!refused) return std::string(message);
  std::string_view hint;
  if (!tls.enabled()) {
    hint =
        "the node closed the connection: it may serve TLS; give the gateway --backend-tls-ca "
        "(and --backend-tls-cert and --backend-tls-key if the node requires client certificates)";
  } else if (tls.cert_file.empty()) {
    hint =
        "the node closed the connection: it may require a client certificate; give the gateway "
        "--backend-tls-cert and --backend-tls-key";
  } else {
    hint =
        "the node closed the connection: check that it trusts the CA of --backend-tls-cert, "
        "that the certificate is not revoked or expired, and that --backend-tls-ca is the CA of "
        "the node's certificate";
  }
  std::string out(message);
  out.append(" (").append(hint).append(")");
  return out;
}

}  // namespace idgen::gateway
