// Copyright idgen authors.
//
// The gRPC interceptors end to end, in process: a client channel with
// GrpcClientTelemetry calls a server with GrpcServerTelemetry; the spans
// must form parent -> client -> server in one trace, and the server's
// duration histogram must count the call under its method and status.
#include <grpcpp/grpcpp.h>

#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "idgen/internal/mutex.h"
#include "src/telemetry/grpc_client_telemetry.h"
#include "src/telemetry/grpc_server_telemetry.h"
#include "src/telemetry/meter.h"

namespace idgen::telemetry {
namespace {

class Collect final : public SpanProcessor {
 public:
  void OnEnd(SpanData&& span) override {
    MutexLock lock(&mu_);
    spans_.push_back(std::move(span));
  }
  std::vector<SpanData> spans() {
    MutexLock lock(&mu_);
    return spans_;
  }

 private:
  Mutex mu_;
  std::vector<SpanData> spans_ ABSL_GUARDED_BY(mu_);
};

// Health/Check: SERVING for "", NOT_FOUND for anything else.
class FakeHealth final : public grpc::health::v1::Health::CallbackService {
 public:
  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* ctx,
                                  const grpc::health::v1::HealthCheckRequest* req,
                                  grpc::health::v1::HealthCheckResponse* resp) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    if (req->service().empty()) {
      resp->set_status(grpc::health::v1::HealthCheckResponse::SERVING);
      reactor->Finish(grpc::Status::OK);
    } else {
      reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service"));
    }
    return reactor;
  }
};

const AttributeValue* Attr(const SpanData& s, const std::string& key) {
  for (const auto& [k, v] : s.attributes) {
    if (k == key) return &v;
  }
  return nullptr;
}

class GrpcTelemetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    duration_ = meter_.CreateHistogram("rpc.server.duration", "d", "ms", {1, 10});
    grpc::ServerBuilder builder;
    builder.RegisterService(&health_);
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> server;
    // The test service is Health, whose calls are traced only on request.
    server.push_back(std::make_unique<GrpcServerTelemetry>(&server_tracer_, duration_, &clock_,
                                                           /*trace_health_checks=*/true));
    builder.experimental().SetInterceptorCreators(std::move(server));
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> client;
    client.push_back(std::make_unique<GrpcClientTelemetry>(&client_tracer_));
    channel_ = grpc::experimental::CreateCustomChannelWithInterceptors(
        "127.0.0.1:" + std::to_string(port_), grpc::InsecureChannelCredentials(),
        grpc::ChannelArguments(), std::move(client));
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  FakeClock clock_{absl::FromUnixSeconds(1'700'000'000)};
  Meter meter_{"test", &clock_};
  Histogram* duration_ = nullptr;
  Collect server_spans_;
  Collect client_spans_;
  Tracer server_tracer_{ParentBasedSampler(AlwaysOnSampler()), &server_spans_, &clock_};
  Tracer client_tracer_{ParentBasedSampler(AlwaysOnSampler()), &client_spans_, &clock_};
  FakeHealth health_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(GrpcTelemetryTest, ParentClientAndServerSpansFormOneTrace) {
  const SpanContext parent =
      *ParseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  auto stub = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext ctx;
  GrpcClientTelemetry::SetParent(&ctx, parent);
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  ASSERT_TRUE(stub->Check(&ctx, req, &resp).ok());
  server_->Shutdown();  // every server span has ended
  server_.reset();

  const std::vector<SpanData> client = client_spans_.spans();
  const std::vector<SpanData> server = server_spans_.spans();
  ASSERT_EQ(client.size(), 1u);
  ASSERT_EQ(server.size(), 1u);
  EXPECT_EQ(client[0].name, "grpc.health.v1.Health/Check");
  EXPECT_EQ(client[0].kind, SpanKind::kClient);
  EXPECT_EQ(client[0].context.trace_id, parent.trace_id);
  EXPECT_EQ(client[0].parent_span_id, parent.span_id);
  EXPECT_EQ(server[0].name, "grpc.health.v1.Health/Check");
  EXPECT_EQ(server[0].kind, SpanKind::kServer);
  EXPECT_EQ(server[0].context.trace_id, parent.trace_id);
  EXPECT_EQ(server[0].parent_span_id, client[0].context.span_id);
  ASSERT_NE(Attr(server[0], "rpc.grpc.status_code"), nullptr);
  EXPECT_EQ(std::get<int64_t>(*Attr(server[0], "rpc.grpc.status_code")), 0);
  EXPECT_EQ(std::get<std::string>(*Attr(server[0], "rpc.system")), "grpc");
  EXPECT_EQ(std::get<std::string>(*Attr(server[0], "rpc.service")), "grpc.health.v1.Health");
  EXPECT_EQ(std::get<std::string>(*Attr(server[0], "rpc.method")), "Check");

  const std::vector<MetricData> metrics = meter_.Collect();
  ASSERT_EQ(metrics[0].histograms.size(), 1u);
  EXPECT_EQ(metrics[0].histograms[0].count, 1u);
}

TEST_F(GrpcTelemetryTest, WithoutParentTheClientStartsATraceAndErrorsAreMarked) {
  auto stub = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext ctx;
  grpc::health::v1::HealthCheckRequest req;
  req.set_service("no.such.Service");
  grpc::health::v1::HealthCheckResponse resp;
  const grpc::Status s = stub->Check(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  server_->Shutdown();
  server_.reset();
  const std::vector<SpanData> client = client_spans_.spans();
  const std::vector<SpanData> server = server_spans_.spans();
  ASSERT_EQ(client.size(), 1u);
  ASSERT_EQ(server.size(), 1u);
  EXPECT_EQ(client[0].parent_span_id, SpanId{});
  EXPECT_EQ(server[0].parent_span_id, client[0].context.span_id);
  EXPECT_EQ(std::get<int64_t>(*Attr(server[0], "rpc.grpc.status_code")), 5);
  EXPECT_EQ(client[0].status, SpanStatus::kError);
  // NOT_FOUND is a client's mistake: not a server error per the conventions.
  EXPECT_EQ(server[0].status, SpanStatus::kUnset);
  const std::vector<MetricData> metrics = meter_.Collect();
  ASSERT_EQ(metrics[0].histograms.size(), 1u);
  const Attributes& a = metrics[0].histograms[0].attributes;
  EXPECT_NE(std::find(a.begin(), a.end(), Attribute{"rpc.grpc.status_code", int64_t{5}}), a.end());
}

TEST(SplitGrpcMethodTest, SplitsServiceAndMethod) {
  EXPECT_EQ(SplitGrpcMethod("/idgen.v1.IdGenerator/NextIds"),
            (std::pair<std::string_view, std::string_view>("idgen.v1.IdGenerator", "NextIds")));
  EXPECT_EQ(SplitGrpcMethod("x").second, "x");
  EXPECT_TRUE(IsGrpcServerError(14));
  EXPECT_FALSE(IsGrpcServerError(3));
}

TEST(GrpcServerTelemetryDefaultsTest, HealthChecksAreMeasuredButNotTraced) {
  FakeClock clock{absl::FromUnixSeconds(1'700'000'000)};
  Collect spans;
  Tracer tracer{ParentBasedSampler(AlwaysOnSampler()), &spans, &clock};
  Meter meter{"test", &clock};
  Histogram* duration = meter.CreateHistogram("rpc.server.duration", "d", "ms", {1, 10});
  FakeHealth health;
  grpc::ServerBuilder builder;
  builder.RegisterService(&health);
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> server;
  server.push_back(std::make_unique<GrpcServerTelemetry>(&tracer, duration, &clock));
  builder.experimental().SetInterceptorCreators(std::move(server));
  std::unique_ptr<grpc::Server> srv = builder.BuildAndStart();
  ASSERT_NE(srv, nullptr);
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  ASSERT_TRUE(stub->Check(&ctx, req, &resp).ok());
  srv->Shutdown();
  EXPECT_TRUE(spans.spans().empty());
  const std::vector<MetricData> metrics = meter.Collect();
  ASSERT_EQ(metrics[0].histograms.size(), 1u);
  EXPECT_EQ(metrics[0].histograms[0].count, 1u);
}

}  // namespace
}  // namespace idgen::telemetry
