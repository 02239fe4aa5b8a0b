// Copyright idgen authors.
//
// EtcdTokenCache with a fake authenticator: when it authenticates, and that
// concurrent callers with the same rejected token share one authentication.
#include "src/coord/etcd_token_cache.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "idgen/internal/mutex.h"

namespace idgen::coord {
namespace {

// Hands out "t1", "t2", ... and counts the calls.
class CountingAuthenticator {
 public:
  absl::StatusOr<std::string> operator()() { return absl::StrCat("t", ++calls_); }
  int calls() const { return calls_; }

 private:
  int calls_ = 0;
};

TEST(EtcdTokenCacheTest, AuthenticatesOnceAndThenReusesTheToken) {
  CountingAuthenticator auth;
  EtcdTokenCache tokens([&] { return auth(); });
  EXPECT_EQ(*tokens.Get(), "t1");
  EXPECT_EQ(*tokens.Get(), "t1");
  EXPECT_EQ(auth.calls(), 1);
  EXPECT_EQ(tokens.authentications(), 1);
}

TEST(EtcdTokenCacheTest, RenewReplacesTheRejectedToken) {
  CountingAuthenticator auth;
  EtcdTokenCache tokens([&] { return auth(); });
  ASSERT_EQ(*tokens.Get(), "t1");
  EXPECT_EQ(*tokens.Renew("t1"), "t2");
  EXPECT_EQ(*tokens.Get(), "t2");
  EXPECT_EQ(auth.calls(), 2);
}

TEST(EtcdTokenCacheTest, RenewOfAnAlreadyReplacedTokenDoesNotAuthenticate) {
  CountingAuthenticator auth;
  EtcdTokenCache tokens([&] { return auth(); });
  ASSERT_EQ(*tokens.Get(), "t1");
  ASSERT_EQ(*tokens.Renew("t1"), "t2");
  // A second caller that had sent "t1" too: it gets "t2" as it is.
  EXPECT_EQ(*tokens.Renew("t1"), "t2");
  EXPECT_EQ(auth.calls(), 2);
}

TEST(EtcdTokenCacheTest, FailedAuthenticationKeepsNothingAndIsTriedAgain) {
  int calls = 0;
  EtcdTokenCache tokens([&]() -> absl::StatusOr<std::string> {
    if (++calls == 1) return absl::UnavailableError("etcd down");
    return std::string("t2");
  });
  EXPECT_EQ(tokens.Get().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(*tokens.Get(), "t2");
  EXPECT_EQ(calls, 2);
}

TEST(EtcdTokenCacheTest, FailedRenewalKeepsTheOldTokenForTheNextTry) {
  int calls = 0;
  EtcdTokenCache tokens([&]() -> absl::StatusOr<std::string> {
    ++calls;
    if (calls == 2) return absl::UnavailableError("etcd down");
    return absl::StrCat("t", calls);
  });
  ASSERT_EQ(*tokens.Get(), "t1");
  EXPECT_FALSE(tokens.Renew("t1").ok());
  EXPECT_EQ(*tokens.Get(), "t1");  // still cached: the caller will be refused again
  EXPECT_EQ(*tokens.Renew("t1"), "t3");
}

TEST(EtcdTokenCacheTest, EmptyTokenOfAnEtcdWithoutAuthIsCached) {
  int calls = 0;
  EtcdTokenCache tokens([&]() -> absl::StatusOr<std::string> {
    ++calls;
    return std::string();
  });
  EXPECT_EQ(*tokens.Get(), "");
  EXPECT_EQ(*tokens.Get(), "");
  EXPECT_EQ(calls, 1);
}

// Every thread got "invalid auth token" for t1 at the same time. The
// authenticator blocks until all of them have called Renew (or are queued
// behind the one that authenticates), so the test does not depend on who
// comes first: exactly one authentication happens and all share its token.
TEST(EtcdTokenCacheTest, ConcurrentRenewalsShareOneAuthentication) {
  constexpr int kThreads = 8;
  Mutex mu;
  CondVar cv(&mu);
  int entered = 0;  // threads inside Renew (or about to be)
  int calls = 0;
  EtcdTokenCache tokens([&]() -> absl::StatusOr<std::string> {
    MutexLock lock(&mu);
    ++calls;
    if (calls == 2) {  // the renewal
      while (entered < kThreads) cv.Wait();
    }
    return absl::StrCat("t", calls);
  });
  ASSERT_EQ(*tokens.Get(), "t1");

  std::vector<std::string> got(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      {
        MutexLock lock(&mu);
        ++entered;
        cv.SignalAll();
      }
      absl::StatusOr<std::string> t = tokens.Renew("t1");
      got[static_cast<size_t>(i)] = t.ok() ? *t : std::string(t.status().message());
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(tokens.authentications(), 2);  // t1, then one renewal
  for (const std::string& t : got) EXPECT_EQ(t, "t2");
}

}  // namespace
}  // namespace idgen::coord
