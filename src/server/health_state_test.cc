// Copyright idgen authors.
#include "src/server/health_state.h"

#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace idgen::server {
namespace {

using Response = grpc::health::v1::HealthCheckResponse;

class RecordingWatcher final : public HealthState::Watcher {
 public:
  void OnHealthChange(ServingStatus status, bool last) override {
    calls.emplace_back(status, last);
  }
  std::vector<std::pair<ServingStatus, bool>> calls;
};

TEST(HealthStateTest, UnregisteredNamesAreServiceUnknownAndCannotBeSet) {
  HealthState h;
  EXPECT_EQ(h.Get("x"), Response::SERVICE_UNKNOWN);
  h.Set("x", true);
  EXPECT_EQ(h.Get("x"), Response::SERVICE_UNKNOWN);
}

TEST(HealthStateTest, RegisteredStartsNotServingAndFollowsSet) {
  HealthState h;
  h.Register("");
  EXPECT_EQ(h.Get(""), Response::NOT_SERVING);
  h.Set("", true);
  EXPECT_EQ(h.Get(""), Response::SERVING);
  h.Register("");  // registering again keeps the status
  EXPECT_EQ(h.Get(""), Response::SERVING);
  h.Set("", false);
  EXPECT_EQ(h.Get(""), Response::NOT_SERVING);
}

TEST(HealthStateTest, WatcherGetsTheStatusAtOnceThenOnlyChangesOfItsService) {
  HealthState h;
  h.Register("");
  h.Register("svc");
  h.Set("", true);
  RecordingWatcher w;
  h.AddWatcher("", &w);
  ASSERT_EQ(w.calls.size(), 1u);
  EXPECT_EQ(w.calls[0], std::make_pair(static_cast<ServingStatus>(Response::SERVING), false));
  h.Set("", true);     // no change
  h.Set("svc", true);  // another service
  EXPECT_EQ(w.calls.size(), 1u);
  h.Set("", false);
  ASSERT_EQ(w.calls.size(), 2u);
  EXPECT_EQ(w.calls[1].first, Response::NOT_SERVING);
  h.RemoveWatcher("", &w);
  h.Set("", true);
  EXPECT_EQ(w.calls.size(), 2u);
}

TEST(HealthStateTest, WatcherOfUnknownServiceStartsWithServiceUnknown) {
  HealthState h;
  RecordingWatcher w;
  h.AddWatcher("nope", &w);
  ASSERT_EQ(w.calls.size(), 1u);
  EXPECT_EQ(w.calls[0].first, Response::SERVICE_UNKNOWN);
  h.RemoveWatcher("nope", &w);
}

TEST(HealthStateTest, ShutdownIsTheLastChangeAndSetIsIgnoredAfterIt) {
  HealthState h;
  h.Register("");
  h.Set("", true);
  RecordingWatcher w;
  h.AddWatcher("", &w);
  h.Shutdown();
  EXPECT_TRUE(h.shut_down());
  ASSERT_EQ(w.calls.size(), 2u);
  EXPECT_EQ(w.calls[1], std::make_pair(static_cast<ServingStatus>(Response::NOT_SERVING), true));
  h.Set("", true);
  EXPECT_EQ(h.Get(""), Response::NOT_SERVING);
  EXPECT_EQ(w.calls.size(), 2u);
  // A watcher added after Shutdown learns at once that nothing follows.
  RecordingWatcher late;
  h.AddWatcher("", &late);
  ASSERT_EQ(late.calls.size(), 1u);
  EXPECT_TRUE(late.calls[0].second);
  h.RemoveWatcher("", &w);
  h.RemoveWatcher("", &late);
}

}  // namespace
}  // namespace idgen::server
