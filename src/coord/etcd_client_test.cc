// Copyright idgen authors.
//
// EtcdClient without an etcd: what it measures on its injected clock. (The
// behaviour against a real etcd is in etcd_lease_provider_test.cc.)
#include "src/coord/etcd_client.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "idgen/clock.h"

namespace idgen::coord {
namespace {

// A FakeClock whose monotonic time moves by `step` at every reading, so a
// measured span is a count of readings, not of real time.
class SteppingClock final : public Clock {
 public:
  explicit SteppingClock(absl::Duration step) : step_(step) {}
  absl::Time WallNow() override { return fake_.WallNow(); }
  absl::Duration MonotonicNow() override {
    fake_.Advance(step_);
    return fake_.MonotonicNow();
  }
  void SleepFor(absl::Duration d) override { fake_.SleepFor(d); }

 private:
  const absl::Duration step_;
  FakeClock fake_{absl::FromUnixMillis(1'700'000'000'000)};
};

// Port 1 on loopback: nothing listens, so every call fails at once.
constexpr char kNobody[] = "http://127.0.0.1:1";

TEST(EtcdClientTest, ObservedCallDurationsComeFromTheInjectedClock) {
  SteppingClock clock(absl::Milliseconds(250));
  std::vector<std::string> ops;
  std::vector<absl::Duration> elapsed;
  auto client =
      EtcdClient::Create({kNobody}, {.dial_timeout = absl::ZeroDuration(),
                                     .call_timeout = absl::Seconds(2),
                                     .observe_call =
                                         [&](std::string_view op, absl::Duration d, bool ok) {
                                           ops.emplace_back(op);
                                           elapsed.push_back(d);
                                           EXPECT_FALSE(ok);
                                         },
                                     .clock = &clock});
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_FALSE((*client)->Get("k").ok());
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0], "Range");
  EXPECT_EQ(elapsed[0], absl::Milliseconds(250));  // one step between two readings
}

TEST(EtcdClientTest, DialTimeoutRunsOutOnTheInjectedClock) {
  // Each reading moves the clock by the whole dial timeout: the first sets
  // the deadline, the second is already at it, so Create gives up without
  // waiting on gRPC at all (on the real clock it would wait the full second).
  SteppingClock clock(absl::Seconds(1));
  auto client = EtcdClient::Create({kNobody}, {.dial_timeout = absl::Seconds(1), .clock = &clock});
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(client.status().message().find("no etcd endpoint reachable within 1s"),
            std::string_view::npos)
      << client.status();
}

TEST(EtcdClientTest, OneSchemeAndTlsOnlyWithHttps) {
  const EtcdClient::Options lazy{.dial_timeout = absl::ZeroDuration()};
  auto mixed = EtcdClient::Create({"https://127.0.0.1:1", "http://127.0.0.1:2"}, lazy);
  EXPECT_EQ(mixed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(mixed.status().message().find("mix https:// and plaintext"), std::string_view::npos)
      << mixed.status();

  auto no_ca = EtcdClient::Create({"https://127.0.0.1:1"}, lazy);
  EXPECT_EQ(no_ca.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(no_ca.status().message().find("--etcd-cacert"), std::string_view::npos);

  EtcdClient::Options tls_on_plain = lazy;
  tls_on_plain.tls.ca_file = "/ca.pem";
  EXPECT_EQ(EtcdClient::Create({kNobody}, tls_on_plain).status().code(),
            absl::StatusCode::kInvalidArgument);

  EtcdClient::Options password_alone = lazy;
  password_alone.password = "p";
  auto refused = EtcdClient::Create({kNobody}, password_alone);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message().find("\"p\""), std::string_view::npos);
}

TEST(EtcdClientTest, ARefusedTlsEndpointIsNotCalledATlsProblem) {
  // Nothing listens: "is etcd running", not a TLS diagnosis.
  EtcdClient::Options options{.dial_timeout = absl::Milliseconds(200)};
  options.tls.ca_file = "/nonexistent-ca.pem";
  auto client = EtcdClient::Create({"https://127.0.0.1:1"}, options);
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(client.status().message().find("https://127.0.0.1:1"), std::string_view::npos);
  EXPECT_EQ(client.status().message().find("TLS problem"), std::string_view::npos)
      << client.status();
}

}  // namespace
}  // namespace idgen::coord
