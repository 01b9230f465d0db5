#ifndef KETENHUB_SERVER_COMMON_PERIODIC_TASK_H_
#define KETENHUB_SERVER_COMMON_PERIODIC_TASK_H_

#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/common/thread_name.h"

namespace ketenhub {

// Runs `task` every `interval` on its own thread, and once more at Stop when
// `at_stop` is set.
class PeriodicTask {
 public:
  PeriodicTask(absl::Duration interval, bool at_stop,
               std::function<void()> task)
      : interval_(interval),
        at_stop_(at_stop),
        task_(std::move(task)),
        thread_([this] { Run(); }) {}
  ~PeriodicTask() { Stop(); }

  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    thread_.join();
    if (at_stop_) task_();
  }

 private:
  void Run() {
    NameThisThread("keten-periodic");
    absl::MutexLock lock(&mu_);
    while (!stopping_) {
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_);
      if (stopping_) return;
      mu_.Unlock();
      task_();
      mu_.Lock();
    }
  }

  const absl::Duration interval_;
  const bool at_stop_;
  const std::function<void()> task_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_COMMON_PERIODIC_TASK_H_
