// Copyright idgen authors.
#include "src/server/blocking_pool.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "idgen/internal/mutex.h"

namespace idgen::server {
namespace {

TEST(BlockingPoolTest, RunsTasksOffTheCallersThreadWhileOthersWait) {
  // One task blocks a pool thread; the next still runs, on the other.
  Mutex mu;
  bool release = false;
  CondVar released(&mu);
  std::atomic<bool> second_ran{false};
  std::atomic<bool> first_ran_elsewhere{false};
  const std::thread::id caller = std::this_thread::get_id();
  {
    BlockingPool pool(2, "pool-test");
    pool.Run([&] {
      first_ran_elsewhere = std::this_thread::get_id() != caller;
      MutexLock lock(&mu);
      while (!release) released.Wait();
    });
    pool.Run([&] { second_ran = true; });
    for (int i = 0; i < 500 && !second_ran; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_TRUE(second_ran) << "a waiting task held the whole pool";
    MutexLock lock(&mu);
    release = true;
    released.SignalAll();
  }  // joins: the first task has ended
  EXPECT_TRUE(first_ran_elsewhere);
}

TEST(BlockingPoolTest, TheDestructorRunsWhatIsStillQueued) {
  std::atomic<int> ran{0};
  {
    BlockingPool pool(1, "pool-test");
    for (int i = 0; i < 100; ++i) {
      pool.Run([&] {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        ++ran;
      });
    }
  }
  EXPECT_EQ(ran.load(), 100);
}

std::set<std::string> ThreadNames() {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    std::string name;
    std::ifstream(entry.path() / "comm") >> name;
    names.insert(name);
  }
  return names;
}

TEST(BlockingPoolTest, NamesItsThreadsForTopAndPerf) {
  BlockingPool pool(2, "idgen-wait");
  const std::set<std::string> names = ThreadNames();
  EXPECT_TRUE(names.count("idgen-wait-0") == 1 && names.count("idgen-wait-1") == 1)
      << "threads: " << testing::PrintToString(names);
}

TEST(BlockingPoolTest, ALongNameIsCutToWhatLinuxKeeps) {
  BlockingPool pool(1, "a-name-longer-than-fifteen");
  EXPECT_EQ(ThreadNames().count("a-name-longer-t"), 1U) << testing::PrintToString(ThreadNames());
}

}  // namespace
}  // namespace idgen::server
