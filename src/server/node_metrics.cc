// Copyright idgen authors.
#include "src/server/node_metrics.h"

#include <string>

namespace idgen::server {
namespace {

using telemetry::Attributes;
using telemetry::Observer;

// Batch sizes: 1 (single IDs) up to the largest max_batch (10,000).
const std::vector<double> kBatchBuckets = {1,   2,   5,    10,   20,   50,   100,
                                           200, 500, 1000, 2000, 5000, 10000};

Attributes NsAttrs(const IdNamespace& ns) { return {{"idgen.namespace", ns.name()}}; }

}  // namespace

NodeMetrics::NodeMetrics(telemetry::Meter* meter, const ServerConfig* config, ClaimFn claim,
                         Clock* clock, std::function<absl::Status()> ready,
                         std::function<LeaseCounts()> lease_counts)
    : meter_(meter),
      config_(config),
      claim_(std::move(claim)),
      clock_(clock),
      ready_(std::move(ready)),
      lease_counts_(std::move(lease_counts)) {
  Register(meter);
}

NodeMetrics::~NodeMetrics() { meter_->Unregister(this); }

void NodeMetrics::ForEachSnowflake(
    const std::function<void(const IdNamespace&, SnowflakeGenerator&)>& f) {
  std::shared_ptr<WorkerClaim> claim = claim_();
  if (claim == nullptr) return;
  for (const auto& ns : claim->namespaces()) {
    if (SnowflakeGenerator* gen = ns->snowflake(); gen != nullptr) f(*ns, *gen);
  }
}

void NodeMetrics::Register(telemetry::Meter* meter) {
  telemetry::Counter* issued =
      meter->CreateCounter("idgen.ids.issued", "IDs handed out, per namespace", "{id}");
  telemetry::Histogram* batch = meter->CreateHistogram(
      "idgen.batch.size", "IDs per successful request (NextIds, NextId, StreamIds)", "{id}",
      kBatchBuckets);
  for (const NamespaceConfig& nc : config_->namespaces) {
    const Attributes attrs = {{"idgen.namespace", nc.name},
                              {"idgen.scheme", std::string(SchemeName(nc.scheme))}};
    counters_[nc.name] =
        NamespaceCounters{issued->Bind(attrs), batch->Bind({{"idgen.namespace", nc.name}})};
  }

  // Generator statistics (snowflake namespaces only).
  auto stat_counter = [this, meter](const char* name, const char* description, const char* unit,
                                    auto field) {
    meter->CreateObservableCounter(
        name, description, unit,
        [this, field](Observer& o) {
          ForEachSnowflake([&](const IdNamespace& ns, SnowflakeGenerator& gen) {
            o.Observe(static_cast<int64_t>(field(gen.stats())), NsAttrs(ns));
          });
        },
        this);
  };
  using Stats = SnowflakeGenerator::Stats;
  stat_counter("idgen.clock.regressions", "Backward wall-clock steps seen by the generator",
               "{regression}", [](const Stats& s) { return s.regressions; });
  stat_counter("idgen.clock.waits", "Clock regressions waited out (within max_wait)", "{wait}",
               [](const Stats& s) { return s.waits; });
  stat_counter("idgen.clock.waited", "Time spent waiting out clock regressions", "ms",
               [](const Stats& s) { return s.waited_ms; });
  stat_counter("idgen.clock.borrowed", "Ticks borrowed ahead of the wall clock", "ms",
               [](const Stats& s) { return s.borrowed_ms; });
  stat_counter("idgen.ids.logical", "IDs issued on logical time while the clock was behind", "{id}",
               [](const Stats& s) { return s.logical_ids; });
  stat_counter("idgen.sequence.exhaustion_waits",
               "Waits for the next tick because a tick's sequence was used up", "{wait}",
               [](const Stats& s) { return s.exhaustion_waits; });
  meter->CreateObservableCounter(
      "idgen.requests.refused", "Requests refused by the generator, by reason", "{request}",
      [this](Observer& o) {
        ForEachSnowflake([&](const IdNamespace& ns, SnowflakeGenerator& gen) {
          const Stats s = gen.stats();
          o.Observe(static_cast<int64_t>(s.refused_clock),
                    {{"idgen.namespace", ns.name()}, {"reason", std::string("clock")}});
          o.Observe(static_cast<int64_t>(s.refused_reservation),
                    {{"idgen.namespace", ns.name()}, {"reason", std::string("reservation")}});
        });
      },
      this);
  meter->CreateObservableGauge(
      "idgen.clock.regression.max", "Largest backward wall-clock step seen", "ms",
      [this](Observer& o) {
        ForEachSnowflake([&](const IdNamespace& ns, SnowflakeGenerator& gen) {
          o.Observe(gen.stats().max_regression_ms, NsAttrs(ns));
        });
      },
      this);
  meter->CreateObservableGauge(
      "idgen.clock.lag", "How far the wall clock is behind the last issued tick (0: not behind)",
      "ms",
      [this](Observer& o) {
        ForEachSnowflake([&](const IdNamespace& ns, SnowflakeGenerator& gen) {
          o.Observe(gen.clock_lag_ms(), NsAttrs(ns));
        });
      },
      this);

  // Node-wide state.
  meter->CreateObservableGauge(
      "idgen.reservation.headroom", "Durable time reservation minus the wall clock (IDs stop at 0)",
      "ms",
      [this](Observer& o) {
        if (std::shared_ptr<WorkerClaim> claim = claim_()) {
          o.Observe(claim->reserved_until_ms() - clock_->WallUnixMillis());
        }
      },
      this);
  meter->CreateObservableGauge(
      "idgen.lease.ttl_left", "Time left on the worker lease (leases that expire: etcd)", "ms",
      [this](Observer& o) {
        std::shared_ptr<WorkerClaim> claim = claim_();
        if (claim == nullptr) return;
        const coord::LeaseStatus s = claim->lease().Status();
        if (s.ttl_left_ms >= 0) o.Observe(s.ttl_left_ms, {{"idgen.lease.backend", s.backend}});
      },
      this);
  meter->CreateObservableGauge(
      "idgen.lease.held", "1 while the node holds its worker id", "",
      [this](Observer& o) {
        std::shared_ptr<WorkerClaim> claim = claim_();
        if (claim == nullptr) {
          o.Observe(int64_t{0}, {{"idgen.worker.id", int64_t{-1}}});
          return;
        }
        o.Observe(int64_t{claim->lease().Held() ? 1 : 0},
                  {{"idgen.worker.id", claim->worker_id()}});
      },
      this);
  meter->CreateObservableCounter(
      "idgen.lease.losses", "Times the node lost its worker lease (fenced itself)", "{loss}",
      [this](Observer& o) { o.Observe(lease_counts_().losses); }, this);
  meter->CreateObservableCounter(
      "idgen.lease.claims", "Worker ids the node claimed (more than one after a lease loss)",
      "{claim}", [this](Observer& o) { o.Observe(lease_counts_().claims); }, this);
  meter->CreateObservableCounter(
      "idgen.lease.exhausted_attempts",
      "Claim attempts that found every worker id taken (the node waits, not ready)", "{attempt}",
      [this](Observer& o) { o.Observe(lease_counts_().exhausted_attempts); }, this);
  meter->CreateObservableGauge(
      "idgen.node.ready", "1 while the node can issue IDs", "",
      [this](Observer& o) { o.Observe(int64_t{ready_().ok() ? 1 : 0}); }, this);
}

void RegisterGrpcRefusalMetrics(telemetry::Meter* meter, const GrpcLogBridge* bridge,
                                const void* owner) {
  meter->CreateObservableCounter(
      "idgen.grpc.rejected",
      "gRPC connections and calls refused by gRPC itself, by reason (ping_strikes: GOAWAY "
      "too_many_pings, idle_timeout: closed after --grpc-max-idle-ms without a call, "
      "metadata_too_large: header list over --grpc-max-metadata-bytes, handshake_failed: TLS or "
      "HTTP/2 handshake refused on the server side)",
      "{rejection}",
      [bridge](telemetry::Observer& o) {
        for (int i = 0; i < kGrpcRefusals; ++i) {
          const auto reason = static_cast<GrpcRefusal>(i);
          o.Observe(bridge->refused(reason), {{"reason", std::string(GrpcRefusalName(reason))}});
        }
      },
      owner);
  meter->CreateObservableCounter(
      "idgen.grpc.log.dropped",
      "gRPC log lines not passed on to the node's log: more than 50 a second (a flood of "
      "failed handshakes)",
      "{line}", [bridge](telemetry::Observer& o) { o.Observe(bridge->dropped(), {}); }, owner);
}

}  // namespace idgen::server
