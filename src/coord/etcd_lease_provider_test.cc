// Copyright idgen authors.
//
// EtcdLeaseProvider against a real etcd (Debian's etcd-server) started by the
// test on free loopback ports. Each test gets its own etcd and cluster name;
// waits on real time are bounded polls, never fixed sleeps that must be long
// enough.
#include "src/coord/etcd_lease_provider.h"

#include <chrono>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/coord/etcd_client.h"
#include "src/coord/etcd_worker_id_pin.h"
#include "src/coord/testing/etcd_process.h"

namespace idgen::coord {
namespace {

using ::idgen::coord::testing::EtcdProcess;
using ::testing::HasSubstr;

// Polls `pred` every 10 ms for at most `limit`; returns how long it took, or
// nullopt if it never held.
template <typename Pred>
std::optional<absl::Duration> WaitUntil(Pred pred, absl::Duration limit) {
  const absl::Time start = absl::Now();
  while (absl::Now() - start <= limit) {
    if (pred()) return absl::Now() - start;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

class EtcdLeaseProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto etcd = EtcdProcess::Create();
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    etcd_ = std::move(*etcd);
    auto client = EtcdClient::Create({etcd_->endpoint()}, {});
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
  }

  std::unique_ptr<EtcdLeaseProvider> MakeProvider(absl::Duration ttl = absl::Seconds(10),
                                                  Clock* clock = nullptr) {
    auto p = EtcdLeaseProvider::Create({.endpoints = {etcd_->endpoint()},
                                        .cluster = "test",
                                        .ttl = ttl,
                                        .clock = clock,
                                        .client = {.call_timeout = absl::Milliseconds(500)}});
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? std::move(*p) : nullptr;
  }

  std::unique_ptr<WorkerLease> MustAcquire(EtcdLeaseProvider& provider,
                                           const AcquireOptions& options) {
    auto lease = provider.Acquire(options);
    EXPECT_TRUE(lease.ok()) << lease.status();
    return lease.ok() ? std::move(*lease) : nullptr;
  }

  std::unique_ptr<EtcdProcess> etcd_;
  std::unique_ptr<EtcdClient> client_;  // the test's own view of etcd
};

TEST_F(EtcdLeaseProviderTest, ThreeNodesClaimThreeDifferentIds) {
  auto provider = MakeProvider();
  ASSERT_NE(provider, nullptr);
  std::set<int64_t> ids;
  std::vector<std::unique_ptr<WorkerLease>> leases;
  for (int i = 0; i < 3; ++i) {
    leases.push_back(
        MustAcquire(*provider, {.max_workers = 3, .node_name = absl::StrCat("node-", i)}));
    ASSERT_NE(leases.back(), nullptr);
    EXPECT_TRUE(leases.back()->Held());
    ids.insert(leases.back()->worker_id());
  }
  EXPECT_EQ(ids, (std::set<int64_t>{0, 1, 2}));
  // The claim is visible in etcd, bound to the lease, saying who holds it.
  auto kv = client_->Get(provider->WorkerKey(leases[1]->worker_id()));
  ASSERT_TRUE(kv.ok()) << kv.status();
  ASSERT_TRUE(kv->has_value());
  EXPECT_EQ((*kv)->lease, leases[1]->Status().lease_id);
  EXPECT_THAT((*kv)->value, HasSubstr("\"node\":\"node-1\""));
  EXPECT_THAT((*kv)->value, HasSubstr("\"pid\":"));
}

TEST_F(EtcdLeaseProviderTest, FourthNodeFindsTheIdSpaceExhausted) {
  auto provider = MakeProvider();
  ASSERT_NE(provider, nullptr);
  std::vector<std::unique_ptr<WorkerLease>> leases;
  for (int i = 0; i < 3; ++i) leases.push_back(MustAcquire(*provider, {.max_workers = 3}));
  auto fourth = provider->Acquire({.max_workers = 3});
  ASSERT_FALSE(fourth.ok());
  EXPECT_EQ(fourth.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(fourth.status().message(), HasSubstr("all 3 worker ids under /idgen/test/workers/"));
}

TEST_F(EtcdLeaseProviderTest, ReleaseFreesTheIdAtOnce) {
  auto provider = MakeProvider();
  ASSERT_NE(provider, nullptr);
  std::vector<std::unique_ptr<WorkerLease>> leases;
  for (int i = 0; i < 3; ++i) leases.push_back(MustAcquire(*provider, {.max_workers = 3}));
  const int64_t freed = leases[1]->worker_id();
  ASSERT_TRUE(leases[1]->Release().ok());
  EXPECT_FALSE(leases[1]->Held());
  EXPECT_EQ(leases[1]->Status().state, "released");
  EXPECT_EQ(leases[1]->Reserve(1).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(leases[1]->Release().ok());  // idempotent
  auto next = MustAcquire(*provider, {.max_workers = 3});
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->worker_id(), freed);
}

TEST_F(EtcdLeaseProviderTest, RequestedIdThatIsTakenNamesTheHolder) {
  auto provider = MakeProvider();
  ASSERT_NE(provider, nullptr);
  auto first = MustAcquire(*provider, {.worker_id = 5, .node_name = "first"});
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->worker_id(), 5);
  auto second = provider->Acquire({.worker_id = 5, .node_name = "second"});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(second.status().message(), HasSubstr("worker id 5 is already held"));
  EXPECT_THAT(second.status().message(), HasSubstr("\"node\":\"first\""));
  // A requested id outside the layout is bad input, not a conflict.
  EXPECT_EQ(provider->Acquire({.worker_id = 3, .max_workers = 3}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(EtcdLeaseProviderTest, ReservationOnlyRisesAndIsTheNextHoldersFloor) {
  auto provider = MakeProvider();
  ASSERT_NE(provider, nullptr);
  auto lease = MustAcquire(*provider, {.worker_id = 7});
  ASSERT_NE(lease, nullptr);
  EXPECT_EQ(lease->floor_unix_ms(), 0);
  ASSERT_TRUE(lease->Reserve(1'700'000'000'500).ok());
  ASSERT_TRUE(lease->Reserve(1'700'000'001'000).ok());
  ASSERT_TRUE(lease->Reserve(1'700'000'000'000).ok());  // lower: no-op
  EXPECT_EQ(lease->reserved_unix_ms(), 1'700'000'001'000);
  auto stored = client_->Get(provider->ReservationKey(7));
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*stored)->value, "1700000001000");
  EXPECT_EQ((*stored)->lease, 0) << "the reservation must outlive the lease";

  ASSERT_TRUE(lease->Release().ok());
  auto next = MustAcquire(*provider, {.worker_id = 7});
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->floor_unix_ms(), 1'700'000'001'000);
  EXPECT_EQ(next->reserved_unix_ms(), 1'700'000'001'000);
  ASSERT_TRUE(next->Reserve(1'700'000'002'000).ok());
}

TEST_F(EtcdLeaseProviderTest, SettleLowersTheReservationButNotBelowTheFloor) {
  auto provider = MakeProvider();
  ASSERT_NE(provider, nullptr);
  {
    auto a = MustAcquire(*provider, {.worker_id = 6});
    ASSERT_NE(a, nullptr);
    ASSERT_TRUE(a->Reserve(5'000).ok());
  }  // destroyed: released
  auto b = MustAcquire(*provider, {.worker_id = 6});
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->floor_unix_ms(), 5'000);
  ASSERT_TRUE(b->Reserve(9'000).ok());
  EXPECT_EQ(b->Settle(4'999).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(b->Settle(6'000).ok());
  EXPECT_EQ(b->reserved_unix_ms(), 6'000);
  ASSERT_TRUE(b->Release().ok());
  EXPECT_EQ(b->Settle(7'000).code(), absl::StatusCode::kFailedPrecondition);
  auto c = MustAcquire(*provider, {.worker_id = 6});
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->floor_unix_ms(), 6'000);
}

TEST_F(EtcdLeaseProviderTest, CorruptReservationIsDataLossNotAGuess) {
  auto provider = MakeProvider();
  ASSERT_NE(provider, nullptr);
  ASSERT_TRUE(client_->Put(provider->ReservationKey(2), "garbage").ok());
  auto lease = provider->Acquire({.worker_id = 2});
  ASSERT_FALSE(lease.ok());
  EXPECT_EQ(lease.status().code(), absl::StatusCode::kDataLoss);
  // The failed claim did not keep the id.
  auto kv = client_->Get(provider->WorkerKey(2));
  ASSERT_TRUE(kv.ok());
  EXPECT_FALSE(kv->has_value());
}

TEST_F(EtcdLeaseProviderTest, LeaseRevokedFromOutsideFailsReserveAndFences) {
  auto provider = MakeProvider();
  ASSERT_NE(provider, nullptr);
  auto lease = MustAcquire(*provider, {.worker_id = 1});
  ASSERT_NE(lease, nullptr);
  ASSERT_TRUE(lease->Reserve(1'000).ok());
  ASSERT_TRUE(client_->LeaseRevoke(lease->Status().lease_id).ok());
  const absl::Status s = lease->Reserve(2'000);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("claim lost"));
  EXPECT_FALSE(lease->Held());
  EXPECT_EQ(lease->Status().state, "fenced");
  EXPECT_EQ(lease->reserved_unix_ms(), 1'000);
  auto stored = client_->Get(provider->ReservationKey(1));
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->value, "1000");
  // Another node takes the id over and starts above the reservation.
  auto other = MustAcquire(*provider, {.worker_id = 1});
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->floor_unix_ms(), 1'000);
  // The zombie cannot touch it; it stays fenced.
  EXPECT_EQ(lease->Reserve(3'000).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(lease->Held());
  EXPECT_TRUE(other->Held());
}

TEST_F(EtcdLeaseProviderTest, KeepAliveNoticesRevocationWithoutAnyReserve) {
  auto provider = MakeProvider(absl::Seconds(3));
  ASSERT_NE(provider, nullptr);
  auto lease = MustAcquire(*provider, {});
  ASSERT_NE(lease, nullptr);
  ASSERT_TRUE(client_->LeaseRevoke(lease->Status().lease_id).ok());
  // The next keepalive (every ttl/3 = 1 s) hears that the lease is gone.
  EXPECT_TRUE(WaitUntil([&] { return !lease->Held(); }, absl::Seconds(3)));
  EXPECT_THAT(lease->Status().detail, HasSubstr("no longer exists"));
}

TEST_F(EtcdLeaseProviderTest, KeepAliveHoldsTheClaimPastTheTtl) {
  auto provider = MakeProvider(absl::Seconds(2));
  ASSERT_NE(provider, nullptr);
  auto lease = MustAcquire(*provider, {});
  ASSERT_NE(lease, nullptr);
  // Twice the TTL: only keepalives keep the lease, and Held() all along.
  EXPECT_FALSE(WaitUntil([&] { return !lease->Held(); }, absl::Seconds(4)));
  auto ttl = client_->LeaseTimeToLive(lease->Status().lease_id);
  ASSERT_TRUE(ttl.ok()) << ttl.status();
  EXPECT_GT(*ttl, 0);
  const LeaseStatus st = lease->Status();
  EXPECT_EQ(st.backend, "etcd");
  EXPECT_EQ(st.state, "held");
  EXPECT_GT(st.ttl_left_ms, 0);
  EXPECT_LE(st.ttl_left_ms, 2000);
  EXPECT_THAT(st.detail, HasSubstr(etcd_->endpoint()));
  EXPECT_THAT(st.detail, HasSubstr("/idgen/test/workers/"));
}

TEST_F(EtcdLeaseProviderTest, EtcdStoppedFencesWithinTtlAndRecoversAfterRestart) {
  auto provider = MakeProvider(absl::Seconds(2));
  ASSERT_NE(provider, nullptr);
  auto lease = MustAcquire(*provider, {.max_workers = 4});
  ASSERT_NE(lease, nullptr);
  ASSERT_TRUE(lease->Reserve(5'000).ok());
  const absl::Time stopped = absl::Now();
  ASSERT_TRUE(etcd_->Stop().ok());
  ASSERT_TRUE(WaitUntil([&] { return !lease->Held(); }, absl::Seconds(4)));
  // Fenced at ttl - margin (1.5 s) after the last acknowledged keepalive, so
  // before etcd could expire the lease (2 s); the rest is polling slack.
  EXPECT_LT(absl::Now() - stopped, absl::Seconds(2));
  EXPECT_EQ(lease->Status().state, "fenced");
  // What etcd may still grant the old lease: at most the safety margin.
  EXPECT_LE(lease->Status().ttl_left_ms, 500);
  EXPECT_EQ(lease->Reserve(6'000).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(lease->reserved_unix_ms(), 5'000);

  ASSERT_TRUE(etcd_->Start().ok());
  EXPECT_FALSE(lease->Held()) << "a fenced lease never comes back";
  // The node acquires anew (etcd may still keep the old lease for a TTL).
  std::unique_ptr<WorkerLease> again;
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto l = provider->Acquire({.max_workers = 4});
        if (l.ok()) again = std::move(*l);
        return l.ok();
      },
      absl::Seconds(5)));
  EXPECT_TRUE(again->Held());
  if (again->worker_id() == lease->worker_id()) {
    EXPECT_EQ(again->floor_unix_ms(), 5'000);
  }
}

TEST_F(EtcdLeaseProviderTest, EtcdPausedFencesWithinTtl) {
  auto provider = MakeProvider(absl::Seconds(2));
  ASSERT_NE(provider, nullptr);
  auto lease = MustAcquire(*provider, {});
  ASSERT_NE(lease, nullptr);
  etcd_->Pause();  // connections stay open; calls hang until their deadline
  const auto took = WaitUntil([&] { return !lease->Held(); }, absl::Seconds(4));
  ASSERT_TRUE(took);
  EXPECT_LT(*took, absl::Seconds(2));  // within the TTL
  const absl::Status s = lease->Reserve(absl::ToUnixMillis(absl::Now()));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  etcd_->Resume();
}

TEST_F(EtcdLeaseProviderTest, SelfFencingFollowsTheInjectedMonotonicClock) {
  FakeClock clock(absl::FromUnixMillis(1'700'000'000'000));
  auto provider = MakeProvider(absl::Seconds(10), &clock);
  ASSERT_NE(provider, nullptr);
  EXPECT_EQ(provider->safety_margin(), absl::Seconds(2));  // max(500 ms, ttl / 5)
  auto lease = MustAcquire(*provider, {});
  ASSERT_NE(lease, nullptr);
  clock.Advance(absl::Seconds(7));
  EXPECT_TRUE(lease->Held());
  EXPECT_EQ(lease->Status().ttl_left_ms, 3000);
  clock.Advance(absl::Seconds(1) + absl::Milliseconds(1));  // past ttl - margin = 8 s
  EXPECT_FALSE(lease->Held());
  EXPECT_EQ(lease->Status().state, "fenced");
  EXPECT_EQ(lease->Reserve(1).code(), absl::StatusCode::kFailedPrecondition);
  clock.Advance(absl::Seconds(30));
  EXPECT_FALSE(lease->Held());
  // A fenced lease revokes itself at once (not at its next keepalive, 3.3 s
  // away), so the id is free again.
  EXPECT_TRUE(WaitUntil(
      [&] {
        auto kv = client_->Get(provider->WorkerKey(lease->worker_id()));
        return kv.ok() && !kv->has_value();
      },
      absl::Seconds(2)));
}

TEST_F(EtcdLeaseProviderTest, FailoverSkipsADeadFirstEndpoint) {
  auto dead = EtcdProcess::UnusedPort();
  ASSERT_TRUE(dead.ok()) << dead.status();
  const std::string dead_url = absl::StrCat("http://127.0.0.1:", *dead);
  auto provider = EtcdLeaseProvider::Create(
      {.endpoints = {dead_url, etcd_->endpoint()}, .cluster = "test", .ttl = absl::Seconds(2)});
  ASSERT_TRUE(provider.ok()) << provider.status();
  auto lease = MustAcquire(**provider, {});
  ASSERT_NE(lease, nullptr);
  ASSERT_TRUE(lease->Reserve(42).ok());
  EXPECT_THAT(lease->Status().detail, HasSubstr(etcd_->endpoint()));
  // Keepalives keep going through the live endpoint.
  EXPECT_FALSE(WaitUntil([&] { return !lease->Held(); }, absl::Seconds(3)));

  // A client whose current endpoint dies mid-way moves over by itself.
  auto client =
      EtcdClient::Create({etcd_->endpoint(), dead_url}, {.dial_timeout = absl::ZeroDuration()});
  ASSERT_TRUE(client.ok());
  EXPECT_TRUE((*client)->Get("/x").ok());
  EXPECT_EQ((*client)->current_endpoint(), etcd_->endpoint());
}

TEST_F(EtcdLeaseProviderTest, ErrorsNameTheEndpointsAndOperation) {
  auto dead = EtcdProcess::UnusedPort();
  ASSERT_TRUE(dead.ok());
  const std::string dead_url = absl::StrCat("http://127.0.0.1:", *dead);
  auto client = EtcdClient::Create(
      {dead_url}, {.dial_timeout = absl::ZeroDuration(), .call_timeout = absl::Milliseconds(300)});
  ASSERT_TRUE(client.ok());
  const absl::Status s = (*client)->Put("/k", "v").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(s.message(), HasSubstr("etcd Put /k failed"));
  EXPECT_THAT(s.message(), HasSubstr(dead_url));

  auto dialed = EtcdClient::Create({dead_url}, {.dial_timeout = absl::Milliseconds(300)});
  ASSERT_FALSE(dialed.ok());
  EXPECT_EQ(dialed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(dialed.status().message(), HasSubstr(dead_url));
}

TEST_F(EtcdLeaseProviderTest, AUserForAnEtcdWithoutAuthenticationIsNotNeededAndWorks) {
  EtcdClient::Options options;
  options.user = "idgen";
  options.password = "unused";
  auto client = EtcdClient::Create({etcd_->endpoint()}, std::move(options));
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->authentications(), 1);  // answered "authentication is not enabled"
  EXPECT_TRUE((*client)->Put("/idgen/x", "v").ok());
  EXPECT_TRUE((*client)->Get("/idgen/x").ok());
  EXPECT_EQ((*client)->authentications(), 1);
}

TEST_F(EtcdLeaseProviderTest, ClaimsStayInsideTheWorkerIdRangeAndTheClusterIsPinnedToIt) {
  auto provider = MakeProvider();
  ASSERT_NE(provider, nullptr);
  // A node outside any range first: a range that leaves its id out cannot be
  // recorded while it runs.
  auto outside = MustAcquire(*provider, {.worker_id = 3, .max_workers = 8});
  ASSERT_NE(outside, nullptr);
  absl::Status blocked = PinWorkerIdsInEtcd(*client_, "test", WorkerIdRange{4, 6});
  EXPECT_EQ(blocked.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(blocked.message(), HasSubstr("worker id 3 of cluster \"test\" is held outside"));
  ASSERT_TRUE(outside->Release().ok());

  ASSERT_TRUE(PinWorkerIdsInEtcd(*client_, "test", WorkerIdRange{4, 6}).ok());
  ASSERT_TRUE(PinWorkerIdsInEtcd(*client_, "test", WorkerIdRange{4, 6}).ok());
  absl::Status overlap = PinWorkerIdsInEtcd(*client_, "test", WorkerIdRange{0, 5});
  EXPECT_EQ(overlap.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(overlap.message(), HasSubstr("--worker-ids 0-5 differs from 4-6"));
  EXPECT_THAT(overlap.message(), HasSubstr("/idgen/test/worker-ids"));
  EXPECT_EQ(PinWorkerIdsInEtcd(*client_, "test", std::nullopt).code(),
            absl::StatusCode::kInvalidArgument);
  // Another cluster name in the same etcd has its own record.
  EXPECT_TRUE(PinWorkerIdsInEtcd(*client_, "other", WorkerIdRange{0, 3}).ok());

  std::set<int64_t> ids;
  std::vector<std::unique_ptr<WorkerLease>> leases;
  for (int i = 0; i < 3; ++i) {
    leases.push_back(MustAcquire(*provider, {.min_worker = 4, .max_workers = 7}));
    ASSERT_NE(leases.back(), nullptr);
    ids.insert(leases.back()->worker_id());
  }
  EXPECT_EQ(ids, (std::set<int64_t>{4, 5, 6}));
  auto fourth = provider->Acquire({.min_worker = 4, .max_workers = 7});
  ASSERT_FALSE(fourth.ok());
  EXPECT_EQ(fourth.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(fourth.status().message(), HasSubstr("(4-6) are held"));
}

TEST(EtcdLeaseProviderOptionsTest, TtlBelowTwoSecondsIsRejected) {
  auto p = EtcdLeaseProvider::Create(
      {.endpoints = {"http://127.0.0.1:1"}, .ttl = absl::Milliseconds(1500)});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(p.status().message(), HasSubstr("minimum is 2s"));
  EXPECT_EQ(EtcdLeaseProvider::Create(
                {.endpoints = {"http://127.0.0.1:1"}, .ttl = absl::Milliseconds(2500)})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);  // whole seconds only
  EXPECT_EQ(EtcdLeaseProvider::Create({.endpoints = {"http://127.0.0.1:1"}, .cluster = "a/b"})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EtcdLeaseProvider::Create({.endpoints = {}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace idgen::coord
