#include "server/routing/event_notifier.h"

#include <atomic>
#include <memory>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace ketenhub {
namespace {

class CountingWaiter final : public EventWaiter {
 public:
  void Wake() override {
    if (++wakes_ == 1) woken_.Notify();
  }
  bool WaitForWake(absl::Duration timeout) {
    return woken_.WaitForNotificationWithTimeout(timeout);
  }
  int wakes() const { return wakes_; }

 private:
  std::atomic<int> wakes_{0};
  absl::Notification woken_;
};

TEST(EventNotifierTest, AWaiterIsWokenOnceEventsPastItsCursorExist) {
  EventNotifier notifier(/*last_cursor=*/5);
  auto waiter = std::make_shared<CountingWaiter>();
  ASSERT_TRUE(notifier.WaitPast(waiter, 5));
  notifier.Notify(5);  // nothing new for it
  EXPECT_FALSE(waiter->WaitForWake(absl::Milliseconds(50)));
  notifier.Notify(6);
  EXPECT_TRUE(waiter->WaitForWake(absl::Seconds(10)));
}

TEST(EventNotifierTest, NoWakeUpIsLostForALateWaiter) {
  EventNotifier notifier(5);
  notifier.Notify(9);
  auto waiter = std::make_shared<CountingWaiter>();
  // Its events already exist: it is told to read again, not registered.
  EXPECT_FALSE(notifier.WaitPast(waiter, 5));
  EXPECT_TRUE(notifier.WaitPast(waiter, 9));
}

TEST(EventNotifierTest, ClosingWakesEveryWaiterAndRefusesNewOnes) {
  auto notifier = std::make_unique<EventNotifier>(1);
  auto first = std::make_shared<CountingWaiter>();
  auto second = std::make_shared<CountingWaiter>();
  ASSERT_TRUE(notifier->WaitPast(first, 1));
  ASSERT_TRUE(notifier->WaitPast(second, 1));
  notifier->Close();
  EXPECT_TRUE(first->WaitForWake(absl::Seconds(10)));
  EXPECT_TRUE(second->WaitForWake(absl::Seconds(10)));
  EXPECT_TRUE(notifier->closed());
  EXPECT_FALSE(notifier->WaitPast(std::make_shared<CountingWaiter>(), 1));
  notifier->Close();  // idempotent
}

TEST(EventNotifierTest, AWaiterThatWentAwayIsNotWoken) {
  EventNotifier notifier(1);
  auto gone = std::make_shared<CountingWaiter>();
  ASSERT_TRUE(notifier.WaitPast(gone, 1));
  std::weak_ptr<CountingWaiter> watch = gone;
  gone.reset();  // only the notifier's weak reference is left
  notifier.Notify(2);
  EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace ketenhub
