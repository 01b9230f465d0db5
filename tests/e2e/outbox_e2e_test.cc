// The partner's durable outbox: signals queued while the hub is down, the
// partner process restarted, then every signal delivered exactly once.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/signal_outbox.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/text_proto.h"
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
  {
    absl::MutexLock lock(&mu);
    ASSERT_EQ(outcomes.size(), 2u);
    EXPECT_EQ(outcomes[0].code(), absl::StatusCode::kPermissionDenied);
    EXPECT_TRUE(outcomes[1].ok());
  }
  outbox.reset();
  // The refused signal is kept, privately; the queue is empty.
  const std::string dead = options.path + "/dead-letters";
  std::vector<std::string> kept;
  for (const auto& entry : std::filesystem::directory_iterator(dead))
    kept.push_back(entry.path().string());
  ASSERT_EQ(kept.size(), 1u);
  v1::Signal refused;
  ASSERT_TRUE(refused.ParseFromString(*ReadFileToString(kept[0])));
  EXPECT_EQ(refused.client_ref(), "dv");
  struct stat st;
  ASSERT_EQ(::stat(kept[0].c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(options.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(std::filesystem::is_empty(options.path + "/queue"));
}

// A folder an earlier, RocksDB-based outbox left is not taken for empty.
TEST(OutboxE2eTest, AnOutboxOfAnEarlierVersionIsRefused) {
  TestHub hub;
  TempDir outbox_dir;
  SignalOutbox::Options options;
  options.path = outbox_dir.path() + "/outbox";
  options.client = hub.Options("politie");
  std::filesystem::create_directories(options.path);
  std::ofstream(options.path + "/CURRENT") << "MANIFEST-000005\n";
  absl::Status status = SignalOutbox::Open(options).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()),
              ::testing::HasSubstr("an earlier version"));
}

}  // namespace
}  // namespace ketenhub
