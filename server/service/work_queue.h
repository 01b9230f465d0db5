#ifndef KETENHUB_SERVER_SERVICE_WORK_QUEUE_H_
#define KETENHUB_SERVER_SERVICE_WORK_QUEUE_H_

#include <deque>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace ketenhub {

// Runs queued work on a thread of its own, one piece at a time in the order
// queued, never on gRPC's threads: for what reads or writes storage at
// length (retention runs, key rotation, backups, audit queries, exports).
// The destructor runs what is still queued, then joins. Thread-safe.
class WorkQueue {
 public:
  // `thread_name` (at most 15 characters) names the thread for ps and gdb.
  explicit WorkQueue(std::string thread_name);
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;
  ~WorkQueue();

  void Run(absl::AnyInvocable<void() &&> work);

 private:
  void Loop();

  const std::string thread_name_;
  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> work_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: runs Loop
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_WORK_QUEUE_H_
