// Copyright idgen authors.
#include "src/apphost/telemetry_store.h"

#include "gtest/gtest.h"

namespace idgen::apphost {
namespace {

namespace trace_v1 = opentelemetry::proto::collector::trace::v1;
namespace metrics_v1 = opentelemetry::proto::collector::metrics::v1;

void SetResource(opentelemetry::proto::resource::v1::Resource* r, const std::string& service,
                 const std::string& instance) {
  auto* a = r->add_attributes();
  a->set_key("service.name");
  a->mutable_value()->set_string_value(service);
  auto* b = r->add_attributes();
  b->set_key("service.instance.id");
  b->mutable_value()->set_string_value(instance);
}

std::string Id(char c, size_t n) { return std::string(n, c); }

void AddSpan(trace_v1::ExportTraceServiceRequest* req, const std::string& service,
             const std::string& trace, const std::string& span, const std::string& parent,
             const std::string& name, uint64_t start_ns, uint64_t end_ns) {
  auto* rs = req->add_resource_spans();
  SetResource(rs->mutable_resource(), service, service + "-1");
  auto* s = rs->add_scope_spans()->add_spans();
  s->set_trace_id(trace);
  s->set_span_id(span);
  s->set_parent_span_id(parent);
  s->set_name(name);
  s->set_kind(opentelemetry::proto::trace::v1::Span::SPAN_KIND_SERVER);
  s->set_start_time_unix_nano(start_ns);
  s->set_end_time_unix_nano(end_ns);
}

TEST(TelemetryStoreTest, GroupsSpansIntoTracesWithTheirRootAndServices) {
  TelemetryStore store;
  trace_v1::ExportTraceServiceRequest gw;
  const std::string trace = Id('\x01', 16);
  AddSpan(&gw, "idgen-gateway", trace, Id('\x0a', 8), "", "GET /v1/ids", 1'000'000'000,
          1'004'000'000);
  AddSpan(&gw, "idgen-gateway", trace, Id('\x0b', 8), Id('\x0a', 8), "idgen.v1.IdGenerator/NextIds",
          1'001'000'000, 1'003'000'000);
  trace_v1::ExportTraceServiceRequest node;
  AddSpan(&node, "idgen-serve", trace, Id('\x0c', 8), Id('\x0b', 8), "idgen.v1.IdGenerator/NextIds",
          1'001'500'000, 1'002'500'000);
  store.AddTraces(node);  // the node's span may arrive first
  store.AddTraces(gw);

  nlohmann::json list = store.TraceList(10);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["trace_id"], "01010101010101010101010101010101");
  EXPECT_EQ(list[0]["name"], "idgen-gateway: GET /v1/ids");
  EXPECT_EQ(list[0]["spans"], 3);
  EXPECT_EQ(list[0]["services"], nlohmann::json({"idgen-gateway", "idgen-serve"}));
  EXPECT_DOUBLE_EQ(list[0]["duration_ms"].get<double>(), 4.0);

  nlohmann::json t = store.Trace("01010101010101010101010101010101");
  ASSERT_EQ(t["spans"].size(), 3u);
  EXPECT_EQ(t["spans"][0]["name"], "GET /v1/ids");
  EXPECT_EQ(t["spans"][2]["service"], "idgen-serve");
  EXPECT_EQ(t["spans"][2]["parent_span_id"], "0b0b0b0b0b0b0b0b");
  EXPECT_EQ(t["spans"][2]["kind"], "server");
  EXPECT_TRUE(store.Trace("ffff").is_null());
}

TEST(TelemetryStoreTest, DropsTheOldestTracesBeyondTheCap) {
  TelemetryStore store(/*max_spans=*/4);
  for (char c = 1; c <= 5; ++c) {
    trace_v1::ExportTraceServiceRequest req;
    AddSpan(&req, "s", Id(c, 16), Id('\x01', 8), "", "a", 1, 2);
    AddSpan(&req, "s", Id(c, 16), Id('\x02', 8), Id('\x01', 8), "b", 1, 2);
    store.AddTraces(req);
  }
  nlohmann::json list = store.TraceList(100);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["trace_id"], "05050505050505050505050505050505");  // newest first
  EXPECT_EQ(list[1]["trace_id"], "04040404040404040404040404040404");
}

metrics_v1::ExportMetricsServiceRequest Export(int64_t issued, uint64_t t_ms,
                                               const std::vector<uint64_t>& buckets) {
  metrics_v1::ExportMetricsServiceRequest req;
  auto* rm = req.add_resource_metrics();
  SetResource(rm->mutable_resource(), "idgen-serve", "node-0");
  auto* sm = rm->add_scope_metrics();
  auto* m = sm->add_metrics();
  m->set_name("idgen.ids.issued");
  for (int64_t part : {issued / 2, issued - issued / 2}) {  // two namespaces
    auto* p = m->mutable_sum()->add_data_points();
    p->set_as_int(part);
    p->set_time_unix_nano(t_ms * 1'000'000);
  }
  auto* h = sm->add_metrics();
  h->set_name("rpc.server.duration");
  auto* hp = h->mutable_histogram()->add_data_points();
  auto* attr = hp->add_attributes();
  attr->set_key("rpc.service");
  attr->mutable_value()->set_string_value("idgen.v1.IdGenerator");
  for (double b : {1.0, 2.0, 5.0}) hp->add_explicit_bounds(b);
  for (uint64_t c : buckets) hp->add_bucket_counts(c);
  hp->set_time_unix_nano(t_ms * 1'000'000);
  auto* g = sm->add_metrics();
  g->set_name("idgen.lease.ttl_left");
  auto* gp = g->mutable_gauge()->add_data_points();
  gp->set_as_int(9000);
  gp->set_time_unix_nano(t_ms * 1'000'000);
  return req;
}

TEST(TelemetryStoreTest, RatesAndP99FromCumulativeExports) {
  TelemetryStore store;
  store.AddMetrics(Export(1000, 10'000, {100, 0, 0, 0}));
  // 2 s later: 4000 more IDs; of 100 new calls, 2 took 2..5 ms.
  store.AddMetrics(Export(5000, 12'000, {198, 0, 2, 0}));
  nlohmann::json m = store.Metrics();
  ASSERT_EQ(m["instances"].size(), 1u);
  const nlohmann::json& inst = m["instances"][0];
  EXPECT_EQ(inst["instance"], "node-0");
  ASSERT_EQ(inst["series"]["ids_per_s"].size(), 1u);
  EXPECT_DOUBLE_EQ(inst["series"]["ids_per_s"][0][1].get<double>(), 2000.0);
  ASSERT_EQ(inst["series"]["p99_ms"].size(), 2u);
  EXPECT_DOUBLE_EQ(inst["series"]["p99_ms"][0][1].get<double>(), 1.0);  // first: all <= 1 ms
  EXPECT_DOUBLE_EQ(inst["series"]["p99_ms"][1][1].get<double>(), 5.0);  // the delta's p99
  EXPECT_DOUBLE_EQ(inst["latest"]["idgen.lease.ttl_left"].get<double>(), 9000.0);
  EXPECT_EQ(m["received"]["metric_exports"], 2);
}

TEST(TelemetryStoreTest, ACounterThatDropsIsARestartNotANegativeRate) {
  TelemetryStore store;
  store.AddMetrics(Export(10000, 10'000, {1, 0, 0, 0}));
  store.AddMetrics(Export(300, 11'000, {1, 0, 0, 0}));
  nlohmann::json rate = store.Metrics()["instances"][0]["series"]["ids_per_s"];
  ASSERT_EQ(rate.size(), 1u);
  EXPECT_DOUBLE_EQ(rate[0][1].get<double>(), 300.0);
}

// One span whose attribute "blob" holds `value_bytes` bytes.
trace_v1::ExportTraceServiceRequest FatSpan(char trace, size_t value_bytes) {
  trace_v1::ExportTraceServiceRequest req;
  AddSpan(&req, "s", Id(trace, 16), Id('\x01', 8), "", "a", 1, 2);
  auto* kv =
      req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0)->add_attributes();
  kv->set_key("blob");
  kv->mutable_value()->set_string_value(std::string(value_bytes, 'x'));
  return req;
}

TEST(TelemetryStoreTest, ByteBudgetDropsTheOldestTraces) {
  TelemetryStore store(TelemetryStore::Limits{.max_bytes = 20'000, .max_value_bytes = 1024});
  for (char c = 1; c <= 100; ++c) store.AddTraces(FatSpan(c, 1000));
  EXPECT_LE(store.bytes(), 20'000u);
  nlohmann::json list = store.TraceList(1000);
  ASSERT_GT(list.size(), 5u);                                          // the budget holds some
  ASSERT_LT(list.size(), 30u);                                         // but not all 100
  EXPECT_EQ(list[0]["trace_id"], "64646464646464646464646464646464");  // the newest stays
  const nlohmann::json stats = store.Metrics()["store"];
  EXPECT_EQ(stats["spans_dropped"].get<int64_t>(), 100 - static_cast<int64_t>(list.size()));
  EXPECT_EQ(stats["max_bytes"], 20'000);
}

TEST(TelemetryStoreTest, LongValuesAreTruncatedSayingSoAndCounted) {
  TelemetryStore store(TelemetryStore::Limits{.max_value_bytes = 1024});
  store.AddTraces(FatSpan('\x07', 64 * 1024));
  nlohmann::json t = store.Trace("07070707070707070707070707070707");
  ASSERT_EQ(t["spans"].size(), 1u);
  const std::string blob = t["spans"][0]["attributes"]["blob"];
  EXPECT_EQ(blob, std::string(1024, 'x') + "...[truncated from 65536 bytes]");
  EXPECT_EQ(store.Metrics()["store"]["values_truncated"], 1);
  EXPECT_LT(store.bytes(), 4096u);
}

TEST(TelemetryStoreTest, ByteBudgetDropsTheStalestMetricInstances) {
  TelemetryStore store(TelemetryStore::Limits{.max_bytes = 50'000});
  for (int i = 0; i < 1000; ++i) {
    metrics_v1::ExportMetricsServiceRequest req = Export(1000, 10'000, {1, 0, 0, 0});
    auto* attrs = req.mutable_resource_metrics(0)->mutable_resource()->mutable_attributes();
    attrs->Mutable(1)->mutable_value()->set_string_value("node-" + std::to_string(i));
    store.AddMetrics(req);
  }
  EXPECT_LE(store.bytes(), 50'000u);
  nlohmann::json m = store.Metrics();
  ASSERT_GT(m["instances"].size(), 0u);
  ASSERT_LT(m["instances"].size(), 1000u);
  EXPECT_EQ(m["store"]["instances_dropped"].get<size_t>(), 1000 - m["instances"].size());
  bool newest_kept = false;
  for (const auto& inst : m["instances"])
    newest_kept = newest_kept || inst["instance"] == "node-999";
  EXPECT_TRUE(newest_kept);
}

}  // namespace
}  // namespace idgen::apphost
