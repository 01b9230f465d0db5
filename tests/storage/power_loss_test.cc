// Power loss: the disk keeps only what was synced. Every signal whose
// receipt was given must survive, once, with an audit trail that verifies.
#include <atomic>
#include <future>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "server/storage/audit_verify.h"
#include "server/storage/signal_store.h"
#include "tests/testing/failing_file_system.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::TempDir;

// The simulation itself: an unsynced write is gone after a cut, a synced
// one stays.
TEST(PowerLossTest, TheSimulatedCutLosesWhatWasNotSynced) {
  TempDir dir;
  auto file_system = std::make_shared<testing::PowerLossFileSystem>();
  std::unique_ptr<rocksdb::Env> env = testing::EnvOver(file_system);
  rocksdb::Options options;
  options.create_if_missing = true;
  options.env = env.get();
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, dir.path() + "/db", &db).ok());
  rocksdb::WriteOptions synced;
  synced.sync = true;
  ASSERT_TRUE(db->Put(synced, "kept", "1").ok());
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "lost", "2").ok());
  file_system->CutPower();
  delete db;
  file_system->DropUnsynced();
  options.env = rocksdb::Env::Default();
  ASSERT_TRUE(rocksdb::DB::Open(options, dir.path() + "/db", &db).ok());
  std::string value;
  EXPECT_TRUE(db->Get(rocksdb::ReadOptions(), "kept", &value).ok());
  EXPECT_TRUE(db->Get(rocksdb::ReadOptions(), "lost", &value).IsNotFound());
  delete db;
}

TEST(PowerLossTest, AcknowledgedSignalsSurviveEveryCut) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  auto file_system = std::make_shared<testing::PowerLossFileSystem>();
  std::unique_ptr<rocksdb::Env> env = testing::EnvOver(file_system);
  absl::Mutex mu;
  std::map<std::string, std::string> acknowledged;  // signal id -> partner
  int next_ref = 0;
  constexpr int kCuts = 5;
  for (int cut = 0; cut < kCuts; ++cut) {
    absl::StatusOr<std::unique_ptr<SignalStore>> store =
        SignalStore::Open({path, 64, env.get()});
    ASSERT_TRUE(store.ok()) << "after cut " << cut << ": " << store.status();
    std::atomic<bool> stop{false};
    std::vector<std::thread> submitters;
    for (int t = 0; t < 4; ++t) {
      submitters.emplace_back([&, t] {
        while (!stop.load()) {
          int ref;
          {
            absl::MutexLock lock(&mu);
            ref = next_ref++;
          }
          SubmitCommand command;
          command.partner_id = absl::StrCat("partner-", t);
          command.signal = testing::ValidSignal(absl::StrCat("ref-", ref));
          command.subject_key = absl::StrCat("subject-", ref % 7);
          command.audit.set_operation("submit");
          std::promise<absl::StatusOr<v1::Receipt>> done;
          (*store)->Submit(std::move(command),
                           [&](absl::StatusOr<v1::Receipt> r) {
                             done.set_value(std::move(r));
                           });
          absl::StatusOr<v1::Receipt> receipt = done.get_future().get();
          if (!receipt.ok()) return;  // the power is out
          absl::MutexLock lock(&mu);
          acknowledged[receipt->signal_id()] = absl::StrCat("partner-", t);
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + 50 * cut));
    file_system->CutPower();
    stop = true;
    for (std::thread& t : submitters) t.join();
    store->reset();  // its last writes fail: the power is out
    file_system->DropUnsynced();
  }

  absl::StatusOr<std::unique_ptr<SignalStore>> store =
      SignalStore::Open({path, 64, nullptr});
  ASSERT_TRUE(store.ok()) << store.status();
  size_t lost = 0;
  for (const auto& [id, partner] : acknowledged) {
    if (!(*store)->GetOwnSignal(partner, id).ok()) ++lost;
  }
  const uint64_t audit_records = (*store)->audit().Head().size;
  store->reset();
  const int stored = testing::TestHub::CountStoredSignalsIn(dir.path());
  absl::StatusOr<AuditVerification> audit =
      VerifyAuditLog(path, "", {}, nullptr);
  std::cout << "power loss: " << kCuts << " cuts, " << acknowledged.size()
            << " acknowledged, " << stored << " stored, " << lost << " lost, "
            << audit_records << " audit records\n";
  EXPECT_GT(acknowledged.size(), 0u);
  EXPECT_EQ(lost, 0u);
  EXPECT_GE(stored, static_cast<int>(acknowledged.size()));
  ASSERT_TRUE(audit.ok()) << audit.status();
  EXPECT_EQ(audit->problem, "");
  EXPECT_GE(audit->records, acknowledged.size());
}

}  // namespace
}  // namespace ketenhub
