#include "server/service/work_queue.h"

#include <utility>

#include "server/common/thread_name.h"

namespace ketenhub {

WorkQueue::WorkQueue(std::string thread_name)
    : thread_name_(std::move(thread_name)), thread_([this] { Loop(); }) {}

WorkQueue::~WorkQueue() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void WorkQueue::Run(absl::AnyInvocable<void() &&> work) {
  absl::MutexLock lock(&mu_);
  work_.push_back(std::move(work));
}

void WorkQueue::Loop() {
  NameThisThread(thread_name_);
  for (;;) {
    absl::AnyInvocable<void() &&> work;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](WorkQueue* q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu_) {
            return q->stopping_ || !q->work_.empty();
          },
          this));
      if (work_.empty()) return;
      work = std::move(work_.front());
      work_.pop_front();
    }
    std::move(work)();
  }
}

}  // namespace ketenhub
