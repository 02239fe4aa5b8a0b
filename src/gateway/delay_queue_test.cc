// Copyright idgen authors.
#include "src/gateway/delay_queue.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "idgen/clock.h"

namespace idgen::gateway {
namespace {

class DelayQueueFakeClockTest : public ::testing::Test {
 protected:
  DelayQueue::Task Record(const std::string& name) {
    return [this, name](bool on_time) { ran_.push_back(name + (on_time ? "" : "(late)")); };
  }

  FakeClock clock_{absl::FromUnixMillis(1'700'000'000'000)};
  std::vector<std::string> ran_;
  std::unique_ptr<DelayQueue> queue_ = DelayQueue::CreateManual(&clock_);
};

TEST_F(DelayQueueFakeClockTest, RunsATaskOnlyOnceItsDelayHasPassedOnTheClock) {
  queue_->Schedule(absl::Milliseconds(20), Record("a"));
  EXPECT_EQ(queue_->RunDue(), 0u);
  clock_.Advance(absl::Milliseconds(19));
  EXPECT_EQ(queue_->RunDue(), 0u);
  EXPECT_EQ(queue_->pending(), 1u);
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(queue_->RunDue(), 1u);
  EXPECT_EQ(ran_, std::vector<std::string>{"a"});
  EXPECT_EQ(queue_->pending(), 0u);
}

TEST_F(DelayQueueFakeClockTest, RunsDueTasksInDueOrderAndEqualTimesInScheduleOrder) {
  queue_->Schedule(absl::Milliseconds(30), Record("late"));
  queue_->Schedule(absl::Milliseconds(10), Record("first"));
  queue_->Schedule(absl::Milliseconds(10), Record("second"));
  queue_->Schedule(-absl::Seconds(1), Record("now"));  // negative: at once
  clock_.Advance(absl::Milliseconds(10));
  EXPECT_EQ(queue_->RunDue(), 3u);
  EXPECT_EQ(ran_, (std::vector<std::string>{"now", "first", "second"}));
}

TEST_F(DelayQueueFakeClockTest, WallClockStepsDoNotMoveDueTimes) {
  queue_->Schedule(absl::Milliseconds(10), Record("a"));
  clock_.StepWall(absl::Hours(1));  // an NTP step forwards
  EXPECT_EQ(queue_->RunDue(), 0u);
  clock_.StepWall(-absl::Hours(2));  // and back
  clock_.Advance(absl::Milliseconds(10));
  EXPECT_EQ(queue_->RunDue(), 1u);
}

TEST_F(DelayQueueFakeClockTest, StopRunsWhatIsLeftWithFalseAndLaterSchedulesAtOnce) {
  queue_->Schedule(absl::Seconds(5), Record("pending"));
  queue_->Stop();
  EXPECT_EQ(ran_, std::vector<std::string>{"pending(late)"});
  queue_->Schedule(absl::ZeroDuration(), Record("after"));
  EXPECT_EQ(ran_, (std::vector<std::string>{"pending(late)", "after(late)"}));
  clock_.Advance(absl::Seconds(10));
  EXPECT_EQ(queue_->RunDue(), 0u);
  queue_->Stop();  // idempotent
}

TEST_F(DelayQueueFakeClockTest, ATaskMayScheduleAnother) {
  queue_->Schedule(absl::Milliseconds(1), [this](bool) {
    ran_.emplace_back("a");
    queue_->Schedule(absl::Milliseconds(1), Record("b"));
  });
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(queue_->RunDue(), 1u);
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(queue_->RunDue(), 1u);
  EXPECT_EQ(ran_, (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace idgen::gateway
