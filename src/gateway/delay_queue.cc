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

void DelayQueue::Loop() {
  mu_.Lock();
  while (!stopping_) {
    if (tasks_.empty()) {
      cv_.Wait();
      continue;
    }
    auto first = tasks_.begin();
    const auto now = std::chrono::steady_clock::now();
    if (first->first.first > now) {
      cv_.WaitFor(absl::FromChrono(first->first.first - now));
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
