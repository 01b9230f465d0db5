#include "server/service/work_queue.h"

#include <pthread.h>

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace ketenhub {
namespace {

TEST(WorkQueueTest, RunsWorkInOrderOnItsOwnNamedThread) {
  absl::Mutex mu;
  std::vector<int> order;
  std::string thread_name;
  absl::Notification done;
  {
    WorkQueue queue("keten-test");
    for (int i = 0; i < 5; ++i) {
      queue.Run([&, i] {
        absl::MutexLock lock(&mu);
        order.push_back(i);
      });
    }
    queue.Run([&] {
      char name[16] = {};
      pthread_getname_np(pthread_self(), name, sizeof(name));
      absl::MutexLock lock(&mu);
      thread_name = name;
      done.Notify();
    });
    done.WaitForNotification();
  }
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(thread_name, "keten-test");
}

TEST(WorkQueueTest, TheDestructorRunsWhatIsStillQueued) {
  absl::Notification release;
  int ran = 0;
  {
    WorkQueue queue("keten-test");
    queue.Run([&] { release.WaitForNotification(); });
    for (int i = 0; i < 3; ++i) queue.Run([&] { ++ran; });
    release.Notify();
  }  // joins after the queue is empty
  EXPECT_EQ(ran, 3);
}

}  // namespace
}  // namespace ketenhub
