// The partner's durable outbox: signals queued while the hub is down, the
// partner process restarted, then every signal delivered exactly once.
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/signal_outbox.h"
#include "gtest/gtest.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::TempDir;
using ::ketenhub::testing::TestHub;
using ::ketenhub::testing::ValidSignal;

TEST(OutboxE2eTest, ThousandSignalsQueuedWhileTheHubIsDownArriveOnce) {
  TestHub hub;
  TempDir outbox_dir;
  SignalOutbox::Options options;
  options.path = outbox_dir.path() + "/outbox";
  options.client = hub.Options("politie");
  options.client.initial_backoff = absl::Milliseconds(50);
  options.max_backoff = absl::Milliseconds(500);
  hub.Shutdown();

  std::set<std::string> refs;
  {  // the partner system runs while the hub is down...
    absl::StatusOr<std::unique_ptr<SignalOutbox>> outbox =
        SignalOutbox::Open(options);
    ASSERT_TRUE(outbox.ok()) << outbox.status();
    for (int i = 0; i < 1000; ++i) {
      absl::StatusOr<std::string> ref =
          (*outbox)->Enqueue(ValidSignal(absl::StrCat("outbox-", i)));
      ASSERT_TRUE(ref.ok()) << ref.status();
      refs.insert(*ref);
    }
    EXPECT_EQ((*outbox)->pending(), 1000u);
    EXPECT_EQ((*outbox)->Flush(absl::Now() + absl::Milliseconds(200)).code(),
              absl::StatusCode::kDeadlineExceeded);
  }  // ...and is restarted: the queue is on its disk

  absl::Mutex mu;
  std::set<std::string> receipted;
  std::set<std::string> ids;
  int refused = 0;
  absl::StatusOr<std::unique_ptr<SignalOutbox>> outbox = SignalOutbox::Open(
      options,
      [&](const std::string& ref, const absl::StatusOr<v1::Receipt>& outcome) {
        absl::MutexLock lock(&mu);
        if (outcome.ok()) {
          receipted.insert(ref);
          ids.insert(outcome->signal_id());
        } else {
          ++refused;
        }
      });
  ASSERT_TRUE(outbox.ok()) << outbox.status();
  EXPECT_EQ((*outbox)->pending(), 1000u);
  hub.Restart();
  ASSERT_TRUE((*outbox)->Flush(absl::Now() + absl::Seconds(60)).ok());
  outbox->reset();

  EXPECT_EQ(refused, 0);
  EXPECT_EQ(receipted, refs);
  EXPECT_EQ(ids.size(), 1000u);
  hub.Shutdown();
  EXPECT_EQ(hub.CountStoredSignals(), 1000);  // exactly once
}

TEST(OutboxE2eTest, RefusedSignalsLeaveTheQueueAndAreReported) {
  TestHub hub;
  TempDir outbox_dir;
  SignalOutbox::Options options;
  options.path = outbox_dir.path() + "/outbox";
  options.client = hub.Options("ggd");
  absl::Mutex mu;
  std::vector<absl::Status> outcomes;
  auto outbox = *SignalOutbox::Open(
      options, [&](const std::string&, const absl::StatusOr<v1::Receipt>& r) {
        absl::MutexLock lock(&mu);
        outcomes.push_back(r.status());
      });
  // GGD may not submit domestic violence: refused, not retried for ever.
  ASSERT_TRUE(
      outbox->Enqueue(ValidSignal("dv", v1::CATEGORY_DOMESTIC_VIOLENCE)).ok());
  ASSERT_TRUE(outbox->Enqueue(ValidSignal("ok")).ok());
  ASSERT_TRUE(outbox->Flush(absl::Now() + absl::Seconds(20)).ok());
  absl::MutexLock lock(&mu);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(outcomes[1].ok());
}

}  // namespace
}  // namespace ketenhub
