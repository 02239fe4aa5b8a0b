// Copyright idgen authors.
#include "src/gateway/delay_queue.h"

#include <vector>

namespace idgen::gateway {

DelayQueue::DelayQueue() : thread_([this] { Loop(); }) {}

DelayQueue::~DelayQueue() { Stop(); }

void DelayQueue::Schedule(absl::Duration delay, Task task) {
  const auto due = std::chrono::steady_clock::now() +
                   std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                       absl::ToChronoNanoseconds(std::max(delay, absl::ZeroDuration())));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      tasks_.emplace(Due{due, next_seq_++}, std::move(task));
      cv_.notify_one();
      return;
    }
  }
  task(false);
}

size_t DelayQueue::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tasks_.size();
}

void DelayQueue::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (tasks_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto first = tasks_.begin();
    if (first->first.first > std::chrono::steady_clock::now()) {
      cv_.wait_until(lock, first->first.first);
      continue;
    }
    Task task = std::move(first->second);
    tasks_.erase(first);
    lock.unlock();
    task(true);
    lock.lock();
  }
}

void DelayQueue::Stop() {
  std::vector<Task> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [due, task] : tasks_) left.push_back(std::move(task));
    tasks_.clear();
  }
  for (Task& task : left) task(false);
}

}  // namespace idgen::gateway
