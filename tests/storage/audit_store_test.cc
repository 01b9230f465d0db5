// The audit trail in storage: records written with each change, nothing
// written when the disk fails, and offline verification that finds tampering.
#include <future>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "server/audit/checkpoint_signer.h"
#include "server/audit/merkle.h"
#include "server/storage/audit_verify.h"
#include "server/storage/database.h"
#include "server/storage/keys.h"
#include "server/storage/signal_store.h"
#include "tests/testing/failing_file_system.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::TempDir;
using ::ketenhub::testing::ValidSignal;

v1::AuditRecord Draft(const std::string& operation, const std::string& actor) {
  v1::AuditRecord record;
  record.set_operation(operation);
  record.set_actor_partner_id(actor);
  record.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
  return record;
}

class AuditStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(nullptr); }

  void Open(rocksdb::Env* env) {
    store_.reset();
    absl::StatusOr<std::unique_ptr<SignalStore>> store =
        SignalStore::Open({dir_.path() + "/db", 64, env});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  absl::StatusOr<v1::Receipt> Submit(const std::string& partner,
                                     const std::string& ref) {
    std::promise<absl::StatusOr<v1::Receipt>> promise;
    SubmitCommand command;
    command.partner_id = partner;
    command.signal = ValidSignal(ref);
    command.subject_key = "subject-key";
    command.policy_version = "policy-v1";
    command.audit = Draft("submit", partner);
    store_->Submit(std::move(command), [&](absl::StatusOr<v1::Receipt> r) {
      promise.set_value(std::move(r));
    });
    return promise.get_future().get();
  }

  absl::Status Record(int n) {
    std::vector<v1::AuditRecord> records;
    for (int i = 0; i < n; ++i) records.push_back(Draft("get_signal", "kr"));
    std::promise<absl::Status> promise;
    store_->audit().Record(std::move(records),
                           [&](absl::Status s) { promise.set_value(s); });
    return promise.get_future().get();
  }

  std::vector<v1::AuditRecord> All() {
    absl::StatusOr<AuditPage> page =
        store_->audit().Query(AuditFilter(), 0, 100000, 100000);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->records : std::vector<v1::AuditRecord>();
  }

  TempDir dir_;
  std::unique_ptr<SignalStore> store_;
};

TEST_F(AuditStoreTest, EachWriteCarriesItsRecordRefusalsIncluded) {
  absl::StatusOr<v1::Receipt> receipt = Submit("politie", "ref-1");
  ASSERT_TRUE(receipt.ok());
  std::promise<absl::StatusOr<v1::storage::StoredSignal>> withdrawn;
  store_->Withdraw("ggd", receipt->signal_id(), "wrong partner",
                   Draft("withdraw", "ggd"),
                   [&](absl::StatusOr<v1::storage::StoredSignal> s) {
                     withdrawn.set_value(std::move(s));
                   });
  EXPECT_EQ(withdrawn.get_future().get().status().code(),
            absl::StatusCode::kNotFound);

  const std::vector<v1::AuditRecord> records = All();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].index(), 0u);
  EXPECT_EQ(records[0].operation(), "submit");
  EXPECT_EQ(records[0].status_code(), "OK");
  ASSERT_EQ(records[0].signal_ids_size(), 1);
  EXPECT_EQ(records[0].signal_ids(0), receipt->signal_id());
  EXPECT_EQ(records[0].data_subject_pseudonym(),
            "7375626a6563742d6b6579");  // hex of "subject-key"
  EXPECT_TRUE(records[0].has_end_time());
  EXPECT_EQ(records[1].operation(), "withdraw");
  EXPECT_EQ(records[1].status_code(), "NOT_FOUND");
  EXPECT_EQ(records[1].status_rule(), "signal_id: no such signal");
  EXPECT_EQ(records[1].data_subject_pseudonym(),
            records[0].data_subject_pseudonym());
  EXPECT_EQ(store_->audit().Head().size, 2u);
}

TEST_F(AuditStoreTest, QueriesBySubjectSignalAndPage) {
  ASSERT_TRUE(Submit("politie", "a").ok());
  ASSERT_TRUE(Record(5).ok());
  absl::StatusOr<v1::Receipt> second = Submit("ggd", "b");
  ASSERT_TRUE(second.ok());
  AuditFilter by_subject;
  by_subject.subject_pseudonym = "7375626a6563742d6b6579";
  absl::StatusOr<AuditPage> page =
      store_->audit().Query(by_subject, 0, 1, 1000);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].actor_partner_id(), "politie");
  ASSERT_TRUE(page->next_index.has_value());
  page = store_->audit().Query(by_subject, *page->next_index, 10, 1000);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].actor_partner_id(), "ggd");
  EXPECT_FALSE(page->next_index.has_value());

  AuditFilter by_signal;
  by_signal.signal_id = second->signal_id();
  page = store_->audit().Query(by_signal, 0, 10, 1000);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].index(), 6u);

  AuditFilter later;
  later.from = absl::Now() + absl::Hours(1);
  page = store_->audit().Query(later, 0, 10, 1000);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->records.empty());
}

TEST_F(AuditStoreTest, ProofsFromStorageVerifyAgainstTheHead) {
  ASSERT_TRUE(Record(13).ok());
  const AuditTrail::TreeHead old_head = store_->audit().Head();
  ASSERT_TRUE(Record(8).ok());
  store_->Close();
  Open(nullptr);  // the tree is reloaded from disk
  const AuditTrail::TreeHead head = store_->audit().Head();
  ASSERT_EQ(head.size, 21u);
  for (uint64_t i = 0; i < head.size; ++i) {
    absl::StatusOr<std::vector<std::string>> proof =
        store_->audit().InclusionProof(i, head.size);
    absl::StatusOr<std::string> leaf = store_->audit().ReadRecord(i);
    ASSERT_TRUE(proof.ok() && leaf.ok());
    EXPECT_TRUE(merkle::VerifyInclusion(i, head.size, merkle::LeafHash(*leaf),
                                        *proof, head.root)
                    .ok());
  }
  absl::StatusOr<std::vector<std::string>> consistency =
      store_->audit().ConsistencyProof(old_head.size, head.size);
  ASSERT_TRUE(consistency.ok());
  EXPECT_TRUE(merkle::VerifyConsistency(old_head.size, head.size, old_head.root,
                                        head.root, *consistency)
                  .ok());
  EXPECT_EQ(store_->audit().ConsistencyProof(5, 22).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST_F(AuditStoreTest, FailedDiskWritesNeitherTheChangeNorItsRecord) {
  auto file_system = std::make_shared<testing::FailingFileSystem>();
  std::unique_ptr<rocksdb::Env> env = testing::EnvOver(file_system);
  Open(env.get());
  absl::StatusOr<v1::Receipt> first = Submit("politie", "kept");
  ASSERT_TRUE(first.ok()) << first.status();

  file_system->SetFailing(true);
  absl::StatusOr<v1::Receipt> lost = Submit("politie", "refused");
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Record(1).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->audit().Head().size, 1u);  // nothing was committed
  store_.reset();
  file_system->SetFailing(false);

  Open(nullptr);
  const std::vector<v1::AuditRecord> records = All();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].signal_ids(0), first->signal_id());
  EXPECT_EQ(store_->GetOwnSignal("politie", first->signal_id()).status().code(),
            absl::StatusCode::kOk);
  EXPECT_EQ(store_->ListUnrouted(0, 10)->size(), 1u);  // only the kept one
}

class AuditVerifyTest : public AuditStoreTest {
 protected:
  std::unique_ptr<CheckpointSigner> Signer() {
    auto signer = CheckpointSigner::OpenOrCreate(dir_.path() + "/audit.key",
                                                 dir_.path() + "/audit.pub");
    EXPECT_TRUE(signer.ok());
    return *std::move(signer);
  }

  v1::SignedCheckpoint SignHead(const CheckpointSigner& signer) {
    const AuditTrail::TreeHead head = store_->audit().Head();
    v1::SignedCheckpoint checkpoint =
        signer.Sign(head.size, head.root, absl::Now());
    std::promise<absl::Status> stored;
    store_->audit().StoreCheckpoint(
        checkpoint, [&](absl::Status s) { stored.set_value(s); });
    EXPECT_TRUE(stored.get_future().get().ok());
    return checkpoint;
  }

  AuditVerification Verify(const std::string& public_key,
                           std::vector<v1::SignedCheckpoint> trusted = {}) {
    store_.reset();  // offline: the hub is stopped
    absl::StatusOr<AuditVerification> result =
        VerifyAuditLog(dir_.path() + "/db", public_key, trusted, nullptr);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : AuditVerification();
  }

  // Opens the stopped hub's database as an attacker with disk access would.
  std::unique_ptr<Database> Raw() {
    absl::StatusOr<std::unique_ptr<Database>> db =
        Database::Open(dir_.path() + "/db");
    EXPECT_TRUE(db.ok());
    return *std::move(db);
  }
};

TEST_F(AuditVerifyTest, AnIntactLogVerifiesWithItsCheckpoints) {
  auto signer = Signer();
  ASSERT_TRUE(Record(10).ok());
  SignHead(*signer);
  ASSERT_TRUE(Record(7).ok());
  SignHead(*signer);
  const AuditVerification result = Verify(signer->public_key_pem());
  EXPECT_EQ(result.problem, "");
  EXPECT_EQ(result.records, 17u);
  EXPECT_EQ(result.checkpoints, 2u);
}

TEST_F(AuditVerifyTest, OneFlippedByteIsNamedByItsRecord) {
  auto signer = Signer();
  ASSERT_TRUE(Record(20).ok());
  SignHead(*signer);
  store_.reset();
  {
    std::unique_ptr<Database> db = Raw();
    const std::string key = storage_keys::EncodeSequence(7);
    std::string value;
    ASSERT_TRUE(
        db->db()->Get(rocksdb::ReadOptions(), db->audit(), key, &value).ok());
    value[value.size() / 2] ^= 0x01;
    ASSERT_TRUE(
        db->db()->Put(Database::SyncWrite(), db->audit(), key, value).ok());
  }
  const AuditVerification result = Verify(signer->public_key_pem());
  ASSERT_TRUE(result.first_bad_record.has_value()) << result.problem;
  EXPECT_EQ(*result.first_bad_record, 7u);
  EXPECT_NE(result.problem.find("record 7"), std::string::npos);
}

TEST_F(AuditVerifyTest, TruncationFailsAgainstAnEarlierCheckpoint) {
  auto signer = Signer();
  ASSERT_TRUE(Record(20).ok());
  const v1::SignedCheckpoint kept = SignHead(*signer);
  store_.reset();
  {  // remove the last five records, their tree nodes and the checkpoints
    std::unique_ptr<Database> db = Raw();
    rocksdb::WriteBatch batch;
    for (uint64_t i = 15; i < 20; ++i)
      batch.Delete(db->audit(), storage_keys::EncodeSequence(i));
    batch.DeleteRange(db->audit_checkpoints(), storage_keys::EncodeSequence(0),
                      storage_keys::EncodeSequence(1000));
    ASSERT_TRUE(db->db()->Write(Database::SyncWrite(), &batch).ok());
  }
  EXPECT_EQ(Verify(signer->public_key_pem()).problem, "");  // looks fine...
  const AuditVerification result = Verify(signer->public_key_pem(), {kept});
  EXPECT_NE(result.problem.find("fewer than the 20"), std::string::npos)
      << result.problem;
}

// The auditor's checkpoint is the truth: a checkpoint of the same size that
// the hub holds with another root (an insider with the signing key can make
// one, after rolling the log back and growing it again) is a fork, never a
// replacement.
TEST_F(AuditVerifyTest, AForkAgainstTheAuditorsCheckpointIsReported) {
  auto signer = Signer();
  ASSERT_TRUE(Record(20).ok());
  const v1::SignedCheckpoint kept = SignHead(*signer);
  const v1::SignedCheckpoint forged =
      signer->Sign(20, std::string(32, '\x42'), absl::Now());
  std::promise<absl::Status> stored;
  store_->audit().StoreCheckpoint(forged,
                                  [&](absl::Status s) { stored.set_value(s); });
  ASSERT_TRUE(stored.get_future().get().ok());
  const AuditVerification result = Verify(signer->public_key_pem(), {kept});
  EXPECT_NE(result.problem.find("FORK: two validly signed checkpoints of "
                                "size 20"),
            std::string::npos)
      << result.problem;
}

}  // namespace
}  // namespace ketenhub
