#include "server/routing/event_notifier.h"

#include <algorithm>

#include "server/common/thread_name.h"

namespace ketenhub {

EventNotifier::EventNotifier(uint64_t last_cursor)
    : last_cursor_(last_cursor), thread_([this] { Run(); }) {}

EventNotifier::~EventNotifier() { Close(); }

void EventNotifier::Notify(uint64_t last_cursor) {
  absl::MutexLock lock(&mu_);
  last_cursor_ = std::max(last_cursor_, last_cursor);
}

bool EventNotifier::WaitPast(const std::shared_ptr<EventWaiter>& waiter,
                             uint64_t scanned_to) {
  absl::MutexLock lock(&mu_);
  if (closed_ || last_cursor_ > scanned_to) return false;
  waiting_.push_back({waiter, scanned_to});
  return true;
}

bool EventNotifier::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

void EventNotifier::Close() {
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void EventNotifier::Run() {
  NameThisThread("keten-notifier");
  for (;;) {
    std::vector<std::shared_ptr<EventWaiter>> ready;
    bool closing;
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        if (closed_) return true;
        return std::any_of(waiting_.begin(), waiting_.end(),
                           [this](const Waiting& w)
                               ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                 return last_cursor_ > w.scanned_to;
                               });
      };
      mu_.Await(absl::Condition(&has_work));
      closing = closed_;
      auto still_waiting = waiting_.begin();
      for (Waiting& w : waiting_) {
        if (closing || last_cursor_ > w.scanned_to) {
          if (auto waiter = w.waiter.lock()) ready.push_back(std::move(waiter));
        } else {
          *still_waiting++ = std::move(w);
        }
      }
      waiting_.erase(still_waiting, waiting_.end());
    }
    for (const std::shared_ptr<EventWaiter>& waiter : ready) waiter->Wake();
    if (closing) return;
  }
}

}  // namespace ketenhub
