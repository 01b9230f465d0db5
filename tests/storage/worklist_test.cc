// The worklist family: kept with every write of a signal, gone with its
// destruction, and filled once from the signals of a store older than it.
#include <future>

#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "server/storage/database.h"
#include "server/storage/keys.h"
#include "server/storage/signal_store.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::TempDir;
using ::ketenhub::testing::ValidSignal;
using v1::storage::StoredSignal;

constexpr char kReceiver[] = "ketenregisseur";

class WorklistTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    absl::StatusOr<std::unique_ptr<SignalStore>> store =
        SignalStore::Open({dir_.path() + "/db", 64});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  std::string Submit(const std::string& ref, const std::string& bsn) {
    std::promise<absl::StatusOr<v1::Receipt>> done;
    SubmitCommand command;
    command.partner_id = "politie";
    command.signal = ValidSignal(ref, v1::CATEGORY_SEXUAL_EXPLOITATION, bsn);
    command.subject_key = "subject-key-" + bsn;
    command.policy_version = "policy-v1";
    command.receivers = {kReceiver};
    store_->Submit(std::move(command), [&](absl::StatusOr<v1::Receipt> r) {
      done.set_value(std::move(r));
    });
    absl::StatusOr<v1::Receipt> receipt = done.get_future().get();
    EXPECT_TRUE(receipt.ok()) << receipt.status();
    return receipt.ok() ? receipt->signal_id() : "";
  }

  absl::StatusOr<StoredSignal> Decide(const std::string& signal_id) {
    std::promise<absl::StatusOr<StoredSignal>> done;
    v1::Decision decision;
    decision.set_outcome(v1::OUTCOME_CASE_MEETING);
    decision.set_reason("bespreken");
    v1::AuditRecord audit;
    audit.set_acting_user_id("regisseur-1");
    store_->Decide(
        kReceiver, signal_id, decision, audit,
        [&](absl::StatusOr<StoredSignal> s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  v1::WorklistResponse List(
      v1::TriageState state = v1::TRIAGE_STATE_UNSPECIFIED) {
    v1::WorklistRequest request;
    request.set_state(state);
    absl::StatusOr<v1::WorklistResponse> list =
        store_->Worklist(kReceiver, request, 0, 100);
    EXPECT_TRUE(list.ok()) << list.status();
    return list.ok() ? *list : v1::WorklistResponse();
  }

  TempDir dir_;
  std::unique_ptr<SignalStore> store_;
};

TEST_F(WorklistTest, ADecisionMovesTheSignalToDecided) {
  const std::string id = Submit("w-1", "999990019");
  ASSERT_EQ(List().items_size(), 1);
  EXPECT_EQ(List().items(0).triage().state(), v1::TRIAGE_STATE_NEW);
  ASSERT_TRUE(Decide(id).ok());
  v1::WorklistResponse decided = List(v1::TRIAGE_STATE_DECIDED);
  ASSERT_EQ(decided.items_size(), 1);
  EXPECT_EQ(decided.items(0).triage().assignee(), "regisseur-1");
  EXPECT_EQ(List(v1::TRIAGE_STATE_NEW).items_size(), 0);
}

TEST_F(WorklistTest, ADestroyedSignalLeavesTheWorklist) {
  Submit("w-1", "999990019");
  const std::string kept = Submit("w-2", "999990020");
  std::promise<absl::StatusOr<std::vector<StoredSignal>>> done;
  DestroyCommand erase;
  erase.subject_key = "subject-key-999990019";
  erase.erasure_reason = "verzoek";
  erase.as_of = absl::Now();
  erase.audit.set_operation("subject_erase");
  store_->maintenance().Destroy(
      std::move(erase), [&](absl::StatusOr<std::vector<StoredSignal>> d) {
        done.set_value(std::move(d));
      });
  ASSERT_TRUE(done.get_future().get().ok());
  v1::WorklistResponse list = List();
  ASSERT_EQ(list.items_size(), 1);
  EXPECT_EQ(list.items(0).signal_id(), kept);
}

// A store from before the worklist: no entries and no kWorklistBuiltKey.
TEST_F(WorklistTest, AnOlderStoreGetsItsWorklistAtOpen) {
  const std::string decided = Submit("w-1", "999990019");
  const std::string fresh = Submit("w-2", "999990020");
  ASSERT_TRUE(Decide(decided).ok());
  store_.reset();
  {
    absl::StatusOr<std::unique_ptr<Database>> db =
        Database::Open(dir_.path() + "/db");
    ASSERT_TRUE(db.ok()) << db.status();
    rocksdb::WriteBatch batch;
    batch.DeleteRange((*db)->handle(Family::kWorklist), "", "\xff");
    batch.Delete(storage_keys::kWorklistBuiltKey);
    // Nor did the signals have a triage.
    absl::Status scan = (*db)->Scan<StoredSignal>(
        Family::kSignals, "", "test",
        [&](absl::string_view key, StoredSignal& signal) {
          signal.clear_triage();
          batch.Put((*db)->signals(), rocksdb::Slice(key.data(), key.size()),
                    signal.SerializeAsString());
          return ScanStep::kContinue;
        });
    ASSERT_TRUE(scan.ok()) << scan;
    ASSERT_TRUE((*db)->db()->Write(Database::SyncWrite(), &batch).ok());
  }
  Open();
  v1::WorklistResponse list = List();
  ASSERT_EQ(list.items_size(), 2);
  EXPECT_EQ(List(v1::TRIAGE_STATE_NEW).items(0).signal_id(), fresh);
  EXPECT_EQ(List(v1::TRIAGE_STATE_DECIDED).items(0).signal_id(), decided);
}

}  // namespace
}  // namespace ketenhub
