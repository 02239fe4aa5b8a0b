// Copyright idgen authors.
#include "src/server/blocking_pool.h"

#include <pthread.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace idgen::server {

BlockingPool::BlockingPool(int threads, std::string_view name) {
  threads_.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    std::thread& t = threads_.emplace_back([this] { Loop(); });
    // Linux keeps 15 bytes of a thread's name; a longer one is refused.
    pthread_setname_np(t.native_handle(),
                       absl::StrCat(std::string(name), "-", i).substr(0, 15).c_str());
  }
}

BlockingPool::~BlockingPool() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    ready_.SignalAll();
  }
  for (std::thread& t : threads_) t.join();
}

void BlockingPool::Run(std::function<void()> task) {
  MutexLock lock(&mu_);
  tasks_.push_back(std::move(task));
  ready_.Signal();
}

void BlockingPool::Loop() {
  for (;;) {
    std::function<void()> task;
    {
      MutexLock lock(&mu_);
      while (tasks_.empty() && !stopping_) ready_.Wait();
      if (tasks_.empty()) return;  // stopping, and nothing left to run
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace idgen::server
