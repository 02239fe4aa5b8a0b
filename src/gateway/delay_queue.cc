// Copyright idgen authors.
#include "src/gateway/delay_queue.h"

#include <vector>

namespace idgen::gateway {

DelayQueue::DelayQueue(Clock* clock) : clock_(clock), thread_([this] { Loop(); }) {}

DelayQueue::DelayQueue(Clock* clock, Manual) : clock_(clock) {}

std::unique_ptr<DelayQueue> DelayQueue::CreateManual(Clock* clock) {
  return std::unique_ptr<DelayQueue>(new DelayQueue(clock, Manual{}));
}

DelayQueue::~DelayQueue() { Stop(); }

void DelayQueue::Schedule(absl::Duration delay, Task task) {
  const absl::Duration due = clock_->MonotonicNow() + std::max(delay, absl::ZeroDuration());
  {
    idgen::MutexLock lock(&mu_);
    if (!stopping_) {
      tasks_.emplace(Due{due, next_seq_++}, std::move(task));
      cv_.Signal();
      return;
    }
  }
  task(false);
}

size_t DelayQueue::pending() const {
  idgen::MutexLock lock(&mu_);
  return tasks_.size();
}

size_t DelayQueue::RunDue() {
  size_t ran = 0;
  for (;;) {
    Task task;
    {
      idgen::MutexLock lock(&mu_);
      if (stopping_ || tasks_.empty()) break;
      auto first = tasks_.begin();
      if (first->first.first > clock_->MonotonicNow()) break;
      task = std::move(first->second);
      tasks_.erase(first);
    }
    task(true);
    ++ran;
  }
  return ran;
}

void DelayQueue::Loop() {
  mu_.Lock();
  while (!stopping_) {
    if (tasks_.empty()) {
      cv_.Wait();
      continue;
    }
    auto first = tasks_.begin();
    const absl::Duration left = first->first.first - clock_->MonotonicNow();
    if (left > absl::ZeroDuration()) {
      cv_.WaitFor(left);
      continue;
    }
    Task task = std::move(first->second);
    tasks_.erase(first);
    mu_.Unlock();
    task(true);
    mu_.Lock();
  }
  mu_.Unlock();
}

void DelayQueue::Stop() {
  std::vector<Task> left;
  {
    idgen::MutexLock lock(&mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
  {
    idgen::MutexLock lock(&mu_);
    for (auto& [due, task] : tasks_) left.push_back(std::move(task));
    tasks_.clear();
  }
  for (Task& task : left) task(false);
}

}  // namespace idgen::gateway
