// Copyright idgen authors.
//
// Backends' own retries against an in-process gRPC server whose NextIds
// fails as told: what is retried, how often, and what is counted.
#include "src/gateway/backends.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <future>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "idgen/v1/idgen.grpc.pb.h"

namespace idgen::gateway {
namespace {

// Fails the first `fail_first` NextIds calls with `fail_code`, then answers
// one ID per call.
class ScriptedNode final : public v1::IdGenerator::CallbackService {
 public:
  std::atomic<int> fail_first{0};
  std::atomic<grpc::StatusCode> fail_code{grpc::StatusCode::UNAVAILABLE};
  std::atomic<int> calls{0};

  grpc::ServerUnaryReactor* NextIds(grpc::CallbackServerContext* ctx, const v1::NextIdsRequest* req,
                                    v1::NextIdsResponse* resp) override {
    grpc::ServerUnaryReactor* r = ctx->DefaultReactor();
    const int n = calls.fetch_add(1) + 1;
    if (n <= fail_first.load()) {
      r->Finish(grpc::Status(fail_code.load(), absl::StrCat("scripted failure ", n)));
      return r;
    }
    resp->set_namespace_(req->namespace_());
    resp->add_ids(static_cast<uint64_t>(n));
    r->Finish(grpc::Status::OK);
    return r;
  }
};

class BackendsRetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder b;
    int port = 0;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    b.RegisterService(&node_);
    server_ = b.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    address_ = absl::StrCat("127.0.0.1:", port);
  }
  void TearDown() override { server_->Shutdown(); }

  std::unique_ptr<Backends> Make(int attempts) {
    BackendConfig c;
    c.backends = {address_};
    c.retry_attempts = attempts;
    c.retry_backoff = absl::Milliseconds(2);
    c.call_timeout = absl::Seconds(5);
    c.health_check = false;
    absl::StatusOr<std::unique_ptr<Backends>> b = Backends::Create(c);
    EXPECT_TRUE(b.ok()) << b.status();
    return *std::move(b);
  }

  // One NextIds through `b`, waited for.
  static grpc::Status Call(Backends& b, uint64_t* id = nullptr) {
    std::promise<grpc::Status> done;
    v1::NextIdsRequest req;
    req.set_count(1);
    EXPECT_TRUE(b.NextIds(req, [&](const grpc::Status& s, v1::NextIdsResponse& resp) {
      if (id != nullptr && resp.ids_size() == 1) *id = resp.ids(0);
      done.set_value(s);
    }));
    return done.get_future().get();
  }

  ScriptedNode node_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

TEST_F(BackendsRetryTest, UnavailableIsRetriedUntilItSucceedsAndEachRetryIsCounted) {
  auto b = Make(3);
  node_.fail_first = 2;
  uint64_t id = 0;
  const grpc::Status s = Call(*b, &id);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(id, 3u);  // the third attempt answered
  EXPECT_EQ(node_.calls.load(), 3);
  EXPECT_EQ(b->retries(), 2u);
  EXPECT_EQ(b->in_flight(), 0);
}

TEST_F(BackendsRetryTest, GivesUpAfterRetryAttemptsWithTheLastError) {
  auto b = Make(3);
  node_.fail_first = 100;
  const grpc::Status s = Call(*b);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(s.error_message(), "scripted failure 3");
  EXPECT_EQ(node_.calls.load(), 3);
  EXPECT_EQ(b->retries(), 2u);
}

TEST_F(BackendsRetryTest, OneAttemptMeansNoRetry) {
  auto b = Make(1);
  node_.fail_first = 1;
  EXPECT_EQ(Call(*b).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(node_.calls.load(), 1);
  EXPECT_EQ(b->retries(), 0u);
}

// A stopping node cuts the calls its server holds with CANCELLED; the gateway
// never cancels a backend call itself, so that answer means "try another".
TEST_F(BackendsRetryTest, CancelledByTheNodeIsRetried) {
  auto b = Make(3);
  node_.fail_first = 1;
  node_.fail_code = grpc::StatusCode::CANCELLED;
  uint64_t id = 0;
  const grpc::Status s = Call(*b, &id);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(node_.calls.load(), 2);
  EXPECT_EQ(b->retries(), 1u);
}

TEST_F(BackendsRetryTest, OtherErrorsAreNotRetried) {
  auto b = Make(5);
  node_.fail_first = 1;
  node_.fail_code = grpc::StatusCode::RESOURCE_EXHAUSTED;
  EXPECT_EQ(Call(*b).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(node_.calls.load(), 1);
  EXPECT_EQ(b->retries(), 0u);
}

TEST_F(BackendsRetryTest, ABackendThatKeepsFailingSpendsTheBudgetAndRetriesStop) {
  auto b = Make(2);
  node_.fail_first = 1000;
  // 100 tokens; every failed attempt takes one, retries stop at half.
  for (int i = 0; i < 40; ++i) EXPECT_FALSE(Call(*b).ok());
  EXPECT_GT(b->retries_throttled(), 0u);
  EXPECT_LT(b->retries(), 40u);
  EXPECT_FALSE(b->retry_budget().RetryAllowed());
  const int calls_before = node_.calls.load();
  EXPECT_FALSE(Call(*b).ok());
  EXPECT_EQ(node_.calls.load(), calls_before + 1);  // no retry while throttled
}

TEST_F(BackendsRetryTest, DestroyingWithARetryWaitingAnswersItWithTheLastError) {
  BackendConfig c;
  c.backends = {address_};
  c.retry_attempts = 5;
  c.retry_backoff = absl::Seconds(5);  // the retry would wait long
  c.call_timeout = absl::Seconds(30);
  c.health_check = false;
  auto b = *Backends::Create(c);
  node_.fail_first = 100;
  std::promise<grpc::Status> done;
  v1::NextIdsRequest req;
  req.set_count(1);
  ASSERT_TRUE(
      b->NextIds(req, [&](const grpc::Status& s, v1::NextIdsResponse&) { done.set_value(s); }));
  // Wait for the first attempt to fail and the retry to be queued.
  for (int i = 0; i < 500 && b->retries() == 0; ++i) absl::SleepFor(absl::Milliseconds(2));
  ASSERT_EQ(b->retries(), 1u);
  b.reset();
  auto f = done.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_EQ(f.get().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST(RetryBudgetTest, BackoffDoublesCapsAtEightTimesAndJitters) {
  const absl::Duration base = absl::Milliseconds(10);
  EXPECT_EQ(RetryBudget::Backoff(1, base, 0.5), absl::Milliseconds(10));
  EXPECT_EQ(RetryBudget::Backoff(2, base, 0.5), absl::Milliseconds(20));
  EXPECT_EQ(RetryBudget::Backoff(4, base, 0.5), absl::Milliseconds(80));
  EXPECT_EQ(RetryBudget::Backoff(9, base, 0.5), absl::Milliseconds(80));
  EXPECT_EQ(RetryBudget::Backoff(1, base, 0.0), absl::Milliseconds(8));
  EXPECT_LT(RetryBudget::Backoff(1, base, 0.999), absl::Milliseconds(12));
}

TEST(RetryBudgetTest, FailuresSpendTokensSuccessesEarnThemBack) {
  RetryBudget budget(10, 0.5);
  for (int i = 0; i < 5; ++i) budget.OnFailure();
  EXPECT_FALSE(budget.RetryAllowed());  // 5 of 10 left: not more than half
  budget.OnSuccess();                   // 5.5
  EXPECT_TRUE(budget.RetryAllowed());
  for (int i = 0; i < 100; ++i) budget.OnSuccess();
  EXPECT_DOUBLE_EQ(budget.tokens(), 10.0);  // capped
  for (int i = 0; i < 100; ++i) budget.OnFailure();
  EXPECT_DOUBLE_EQ(budget.tokens(), 0.0);  // floored
}

TEST(DelayQueueTest, RunsTasksInDueOrderAndStopAnswersTheRestWithFalse) {
  DelayQueue q;
  std::mutex mu;
  std::vector<std::string> ran;
  std::promise<void> both;
  std::atomic<int> n{0};
  auto record = [&](const std::string& name) {
    return [&, name](bool on_time) {
      {
        std::lock_guard<std::mutex> lock(mu);
        ran.push_back(absl::StrCat(name, on_time ? "" : ":stopped"));
      }
      if (++n == 2) both.set_value();
    };
  };
  q.Schedule(absl::Milliseconds(30), record("late"));
  q.Schedule(absl::Milliseconds(1), record("early"));
  q.Schedule(absl::Hours(1), [&](bool on_time) {
    std::lock_guard<std::mutex> lock(mu);
    ran.emplace_back(on_time ? "never" : "hour:stopped");
  });
  both.get_future().wait();
  EXPECT_EQ(q.pending(), 1u);
  q.Stop();
  q.Schedule(absl::ZeroDuration(), [&](bool on_time) {
    std::lock_guard<std::mutex> lock(mu);
    ran.emplace_back(on_time ? "after-stop" : "after-stop:stopped");
  });
  EXPECT_THAT(ran, ::testing::ElementsAre("early", "late", "hour:stopped", "after-stop:stopped"));
}

}  // namespace
}  // namespace idgen::gateway
