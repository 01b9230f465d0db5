// Protection at rest in storage: encrypted content, integrity, retention at
// injected times, erasure and key rotation.
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "server/audit/audit_record.h"
#include "server/crypto/kek_ring.h"
#include "server/routing/release.h"
#include "server/storage/commit_pipeline.h"
#include "server/storage/database.h"
#include "server/storage/keys.h"
#include "server/storage/payload_cipher.h"
#include "server/storage/signal_mutations.h"
#include "server/storage/signal_store.h"
#include "server/storage/time_conversion.h"
#include "tests/testing/failing_file_system.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::TempDir;
using ::ketenhub::testing::ValidSignal;
using v1::storage::StoredSignal;

v1::Signal SecretSignal(const std::string& ref, const std::string& bsn) {
  v1::Signal signal = ValidSignal(ref, v1::CATEGORY_SEXUAL_EXPLOITATION, bsn);
  return signal;
}

class ProtectionTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    store_.reset();
    absl::StatusOr<std::unique_ptr<SignalStore>> store =
        SignalStore::Open({dir_.path() + "/db", 64, nullptr});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  absl::StatusOr<v1::Receipt> Submit(
      const v1::Signal& signal, const std::string& subject,
      uint32_t window = 730, uint32_t retention = 1825,
      const std::string& partner = "politie",
      std::vector<v1::storage::IdentifierKey> identifier_keys = {}) {
    std::promise<absl::StatusOr<v1::Receipt>> promise;
    SubmitCommand command;
    command.partner_id = partner;
    command.signal = signal;
    command.subject_key = subject;
    command.identifier_keys = std::move(identifier_keys);
    command.person_unknown =
        signal.subject().identifier_case() == v1::Subject::IDENTIFIER_NOT_SET;
    command.receivers = {"ketenregisseur"};
    command.match_window_days = window;
    command.retention_days = retention;
    command.audit.set_operation("submit");
    store_->Submit(std::move(command), [&](absl::StatusOr<v1::Receipt> r) {
      promise.set_value(std::move(r));
    });
    return promise.get_future().get();
  }

  absl::StatusOr<std::vector<StoredSignal>> Destroy(DestroyCommand command) {
    std::promise<absl::StatusOr<std::vector<StoredSignal>>> promise;
    store_->maintenance().Destroy(
        std::move(command), [&](absl::StatusOr<std::vector<StoredSignal>> r) {
          promise.set_value(std::move(r));
        });
    return promise.get_future().get();
  }

  // Flips one ciphertext bit of the signal at `sequence` on disk, with the
  // store closed, and opens the store again.
  void AlterCiphertext(uint64_t sequence) {
    store_.reset();
    {
      auto db = *Database::Open(dir_.path() + "/db");
      const std::string key = storage_keys::EncodeSequence(sequence);
      std::string value;
      ASSERT_TRUE(db->db()
                      ->Get(rocksdb::ReadOptions(), db->signals(), key, &value)
                      .ok());
      StoredSignal stored;
      ASSERT_TRUE(stored.ParseFromString(value));
      (*stored.mutable_payload()->mutable_ciphertext())[10] ^= 0x01;
      ASSERT_TRUE(db->db()
                      ->Put(Database::SyncWrite(), db->signals(), key,
                            stored.SerializeAsString())
                      .ok());
    }
    Open();
  }

  TempDir dir_;
  std::unique_ptr<SignalStore> store_;
};

TEST_F(ProtectionTest, NoPersonOrNarrativeInAnyFile) {
  v1::Signal named = SecretSignal("n", "999990019");
  named.mutable_subject()->mutable_person()->set_name(testing::kTestPersonName);
  named.mutable_subject()->mutable_person()->set_date_of_birth("2008-02-29");
  ASSERT_TRUE(Submit(named, "k1").ok());
  ASSERT_TRUE(Submit(SecretSignal("b", "999990032"), "k2").ok());
  const std::vector<std::string> secrets = {"999990032",
                                            testing::kTestPersonName,
                                            "2008-02-29",
                                            testing::kTestNarrative,
                                            testing::kTestSectionText,
                                            testing::kTestContactName};
  for (const std::string& secret : secrets)  // write-ahead log, open store
    EXPECT_TRUE(testing::FilesHolding(dir_.path(), secret).empty()) << secret;
  store_.reset();  // flushes: SST files and MANIFEST too
  for (const std::string& secret : secrets)
    EXPECT_TRUE(testing::FilesHolding(dir_.path(), secret).empty()) << secret;
  Open();
  absl::StatusOr<v1::Receipt> again =
      Submit(SecretSignal("b", "999990032"), "k2");
  ASSERT_TRUE(again.ok());
  absl::StatusOr<StoredSignal> read = store_->GetSignal(again->signal_id());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->signal().summary(), testing::kTestNarrative);  // decrypted
}

// Matching keeps a pointer to each partner's newest signal about a person,
// which links the partner to the person: it goes with the signal.
TEST_F(ProtectionTest, ErasureLeavesNoLinkBetweenPartnerAndPerson) {
  ASSERT_TRUE(Submit(SecretSignal("a", "999990019"), "erased-person").ok());
  ASSERT_TRUE(
      Submit(SecretSignal("b", "999990019"), "erased-person", 730, 1825, "ggd")
          .ok());
  ASSERT_TRUE(Submit(SecretSignal("c", "999990032"), "kept-person").ok());
  DestroyCommand erase;
  erase.subject_key = "erased-person";
  erase.erasure_reason = "AVG-17 verzoek 2026-0051";
  erase.as_of = absl::Now();
  erase.audit.set_operation("subject_erase");
  ASSERT_EQ(Destroy(erase)->size(), 2u);
  store_.reset();
  auto db = *Database::Open(dir_.path() + "/db");
  std::vector<std::string> keys;
  std::unique_ptr<rocksdb::Iterator> it(
      db->db()->NewIterator(rocksdb::ReadOptions(), db->subject_partners()));
  for (it->SeekToFirst(); it->Valid(); it->Next())
    keys.push_back(it->key().ToString());
  ASSERT_TRUE(it->status().ok());
  EXPECT_EQ(keys, std::vector<std::string>{"kept-personpolitie"});
}

// Re-keying moves the entries under weak identifiers too; a subject of weak
// identifiers alone keeps its random key.
TEST_F(ProtectionTest, RekeyingMovesTheWeakIdentifierEntries) {
  auto phone_key = [](const std::string& key) {
    v1::storage::IdentifierKey out;
    out.set_kind(v1::IDENTIFIER_KIND_PHONE);
    out.set_key(key);
    return out;
  };
  v1::Signal known = SecretSignal("a", "999990019");
  known.mutable_subject()->add_identifiers()->set_phone("0612345678");
  ASSERT_TRUE(Submit(known, "old-person", 730, 1825, "politie",
                     {phone_key("old-phone-key-0000000000000000000")})
                  .ok());
  v1::Signal unknown = SecretSignal("b", "999990019");
  unknown.mutable_subject()->clear_bsn();
  unknown.mutable_subject()->add_identifiers()->set_phone("0612345678");
  ASSERT_TRUE(Submit(unknown, "random-person", 730, 1825, "ggd",
                     {phone_key("old-phone-key-0000000000000000000")})
                  .ok());
  store_.reset();
  absl::StatusOr<uint64_t> rekeyed = RekeySubjects(
      dir_.path() + "/db", dir_.path() + "/keys/kek",
      [](const v1::Subject& subject) -> absl::StatusOr<std::string> {
        return "new-key-" + subject.bsn();
      },
      "new-check",
      [&](const v1::Subject& subject) {
        return std::vector<v1::storage::IdentifierKey>{
            phone_key("new-" + subject.identifiers(0).phone())};
      });
  ASSERT_TRUE(rekeyed.ok()) << rekeyed.status();
  EXPECT_EQ(*rekeyed, 2u);
  auto db = *Database::OpenReadOnly(dir_.path() + "/db");
  // Each entry: the key it is under, and the subject key it names.
  std::vector<std::pair<std::string, std::string>> entries;
  std::unique_ptr<rocksdb::Iterator> it(
      db->db()->NewIterator(rocksdb::ReadOptions(), db->subject_index()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    v1::storage::SubjectIndexEntry entry;
    ASSERT_TRUE(entry.ParseFromString(it->value().ToString()));
    const std::string key = it->key().ToString();
    entries.emplace_back(key.substr(0, key.size() - 8), entry.subject_key());
  }
  ASSERT_TRUE(it->status().ok());
  std::sort(entries.begin(), entries.end());
  // Under the person keys the entries name none (the key is the person);
  // under the phone each names its signal's subject key, the new one.
  using Entry = std::pair<std::string, std::string>;
  EXPECT_EQ(entries,
            (std::vector<Entry>{{"new-0612345678", "new-key-999990019"},
                                {"new-0612345678", "random-person"},
                                {"new-key-999990019", ""},
                                {"random-person", ""}}));
}

// Re-keying moves each partner's pointer to its newest signal about a person
// along with the person's index entries: none stays under the old pseudonym.
TEST_F(ProtectionTest, RekeyingMovesTheNewestSignalPointers) {
  ASSERT_TRUE(Submit(SecretSignal("a", "999990019"), "old-key").ok());
  absl::StatusOr<v1::Receipt> newest =
      Submit(SecretSignal("b", "999990019"), "old-key");
  ASSERT_TRUE(newest.ok());
  absl::StatusOr<v1::Receipt> ggd =
      Submit(SecretSignal("c", "999990019"), "old-key", 730, 1825, "ggd");
  ASSERT_TRUE(ggd.ok());
  store_.reset();
  absl::StatusOr<uint64_t> rekeyed = RekeySubjects(
      dir_.path() + "/db", dir_.path() + "/keys/kek",
      [](const v1::Subject& subject) -> absl::StatusOr<std::string> {
        return "new-key-" + subject.bsn();
      },
      "new-check");
  ASSERT_TRUE(rekeyed.ok()) << rekeyed.status();
  EXPECT_EQ(*rekeyed, 3u);
  auto db = *Database::OpenReadOnly(dir_.path() + "/db");
  std::map<std::string, uint64_t> pointers;
  std::unique_ptr<rocksdb::Iterator> it(
      db->db()->NewIterator(rocksdb::ReadOptions(), db->subject_partners()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    pointers[it->key().ToString()] =
        *storage_keys::DecodeSequence(it->value().ToString());
  }
  ASSERT_TRUE(it->status().ok());
  EXPECT_EQ(pointers, (std::map<std::string, uint64_t>{
                          {"new-key-999990019ggd", ggd->sequence()},
                          {"new-key-999990019politie", newest->sequence()}}));
}

TEST_F(ProtectionTest, AlteredCiphertextIsReportedNotServed) {
  absl::StatusOr<v1::Receipt> receipt =
      Submit(SecretSignal("a", "999990019"), "k");
  ASSERT_TRUE(receipt.ok());
  ASSERT_NO_FATAL_FAILURE(AlterCiphertext(receipt->sequence()));
  absl::StatusOr<StoredSignal> read = store_->GetSignal(receipt->signal_id());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(read.status().message(), "integrity"));
}

// GetSignals (the stream's batched read) answers each id as GetSignal does:
// content decrypted, NOT_FOUND, DATA_LOSS for altered ciphertext, a
// destroyed signal's tombstone.
TEST_F(ProtectionTest, ManySignalsReadAtOnceAsEachAlone) {
  std::vector<std::string> ids;
  for (const char* ref : {"kept", "altered", "erased", "also-kept"}) {
    absl::StatusOr<v1::Receipt> receipt =
        Submit(SecretSignal(ref, "999990019"), ref);
    ASSERT_TRUE(receipt.ok()) << receipt.status();
    ids.push_back(receipt->signal_id());
  }
  DestroyCommand erase;
  erase.signal_ids = {ids[2]};
  erase.erasure_reason = "AVG-17 verzoek 2026-0043";
  erase.as_of = absl::Now();
  erase.audit.set_operation("subject_erase");
  ASSERT_EQ(Destroy(erase)->size(), 1u);
  ASSERT_NO_FATAL_FAILURE(AlterCiphertext(2));  // "altered", ids[1]
  std::vector<std::string> asked = {ids[0], ids[1], "no-such-signal",
                                    ids[2], ids[3], ids[0]};
  std::vector<absl::StatusOr<StoredSignal>> read = store_->GetSignals(asked);
  ASSERT_EQ(read.size(), asked.size());
  for (size_t i = 0; i < asked.size(); ++i) {
    absl::StatusOr<StoredSignal> alone = store_->GetSignal(asked[i]);
    ASSERT_EQ(read[i].status().code(), alone.status().code()) << i;
    if (alone.ok()) {
      EXPECT_EQ(read[i]->SerializeAsString(), alone->SerializeAsString()) << i;
    }
  }
  EXPECT_EQ(read[0]->signal().summary(), testing::kTestNarrative);
  EXPECT_EQ(read[1].status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(read[2].status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(read[3]->state(), v1::SIGNAL_STATE_DESTROYED);
  EXPECT_EQ(read[4]->signal().summary(), testing::kTestNarrative);
  EXPECT_TRUE(store_->GetSignals({}).empty());
}

TEST_F(ProtectionTest, RetentionMovesActiveThenArchivedThenDestroyed) {
  absl::StatusOr<v1::Receipt> receipt =
      Submit(SecretSignal("r", "999990019"), "subject-r", /*window=*/10,
             /*retention=*/30);
  ASSERT_TRUE(receipt.ok());
  const absl::Time received = FromTimestamp(receipt->received_at());
  const auto day = absl::Hours(24);
  StoredSignal stored = *store_->GetSignal(receipt->signal_id());
  EXPECT_FALSE(StatusForSource(stored, received + 5 * day).archived());
  EXPECT_TRUE(StatusForSource(stored, received + 11 * day).archived());
  EXPECT_EQ(FromTimestamp(StatusForSource(stored, received).destroy_after()),
            received + 30 * day);
  EXPECT_TRUE(store_->maintenance().DueSignals(received + 29 * day)->empty());
  ASSERT_EQ(store_->maintenance().DueSignals(received + 31 * day)->size(), 1u);

  DestroyCommand early;  // not yet due: nothing happens
  early.signal_ids = {receipt->signal_id()};
  early.as_of = received + 29 * day;
  EXPECT_TRUE(Destroy(early)->empty());
  DestroyCommand due = early;
  due.as_of = received + 31 * day;
  due.audit.set_operation("retention_purge");
  absl::StatusOr<std::vector<StoredSignal>> destroyed = Destroy(due);
  ASSERT_TRUE(destroyed.ok());
  ASSERT_EQ(destroyed->size(), 1u);

  absl::StatusOr<StoredSignal> tombstone =
      store_->GetOwnSignal("politie", receipt->signal_id());
  ASSERT_TRUE(tombstone.ok()) << tombstone.status();
  const v1::SignalStatus status = StatusForSource(*tombstone, absl::Now());
  EXPECT_EQ(status.state(), v1::SIGNAL_STATE_DESTROYED);
  EXPECT_TRUE(status.has_destroyed_at());
  EXPECT_EQ(status.destruction_rule(),
            "retention: CATEGORY_SEXUAL_EXPLOITATION after 30 days");
  EXPECT_FALSE(tombstone->has_payload());
  EXPECT_EQ(tombstone->signal().summary(), "");
  EXPECT_TRUE(store_->SubjectSignals("subject-r")->empty());
  EXPECT_TRUE(store_->maintenance().DueSignals(received + 99 * day)->empty());

  AuditFilter purges;
  purges.operation = "retention_purge";
  absl::StatusOr<AuditPage> page = store_->audit().Query(purges, 0, 10, 100);
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].data_subject_pseudonym(),
            SubjectPseudonym("subject-r"));
  absl::StatusOr<SignalStore::EventPage> events =
      store_->ReadEvents("ketenregisseur", 0, 10);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->events.back().expired_signal_id(), receipt->signal_id());
}

// Two promises the release notes and the figures rest on: a receiver's
// first release of a kind stands; a tombstone keeps no free text (release
// bases, decision reasons) but keeps the clear metadata figures count.
TEST_F(ProtectionTest, AFirstReleaseStandsAndATombstoneKeepsNoFreeText) {
  absl::StatusOr<v1::Receipt> receipt =
      Submit(SecretSignal("t", "999990019"), "subject-t", /*window=*/10,
             /*retention=*/30);
  ASSERT_TRUE(receipt.ok());
  const std::string id = receipt->signal_id();
  auto release = [&](const std::string& basis) {
    v1::SectionRelease note;
    note.set_kind(v1::DATA_KIND_HEALTH);
    note.set_legal_basis(basis);
    v1::AuditRecord audit;
    audit.set_operation("release");
    std::promise<absl::StatusOr<StoredSignal>> done;
    store_->Release(
        "ketenregisseur", id, note, audit,
        [&](absl::StatusOr<StoredSignal> r) { done.set_value(std::move(r)); });
    return done.get_future().get();
  };
  ASSERT_TRUE(release("Wmo 2015 art. 5.2.6, eerste").ok());
  absl::StatusOr<StoredSignal> again = release("een tweede grondslag");
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_EQ(again->releases_size(), 1);
  EXPECT_EQ(again->releases(0).legal_basis(), "Wmo 2015 art. 5.2.6, eerste");
  EXPECT_EQ(again->releases(0).receiver(), "ketenregisseur");

  v1::Decision decision;
  decision.set_outcome(v1::OUTCOME_CASE_MEETING);
  decision.set_reason("vrije tekst over de casus");
  v1::AuditRecord audit;
  audit.set_operation("decide");
  std::promise<absl::StatusOr<StoredSignal>> decided;
  store_->Decide(
      "ketenregisseur", id, decision, audit,
      [&](absl::StatusOr<StoredSignal> r) { decided.set_value(std::move(r)); });
  ASSERT_TRUE(decided.get_future().get().ok());

  DestroyCommand due;
  due.signal_ids = {id};
  due.as_of = FromTimestamp(receipt->received_at()) + absl::Hours(24 * 31);
  due.audit.set_operation("retention_purge");
  ASSERT_EQ(Destroy(due)->size(), 1u);
  absl::StatusOr<StoredSignal> tombstone = store_->GetOwnSignal("politie", id);
  ASSERT_TRUE(tombstone.ok()) << tombstone.status();
  EXPECT_EQ(tombstone->releases_size(), 0);
  EXPECT_EQ(tombstone->match_judgements_size(), 0);
  EXPECT_EQ(tombstone->decision().reason(), "");
  EXPECT_EQ(tombstone->decision().outcome(), v1::OUTCOME_CASE_MEETING);
  EXPECT_EQ(tombstone->decision().receiver(), "ketenregisseur");
  EXPECT_EQ(tombstone->signal().municipality(), "GM0402");
  EXPECT_EQ(tombstone->signal().category(), v1::CATEGORY_SEXUAL_EXPLOITATION);
}

TEST_F(ProtectionTest, ErasureRemovesThePersonAndKeepsTheTrail) {
  absl::StatusOr<v1::Receipt> a1 = Submit(SecretSignal("a1", "999990019"), "A");
  absl::StatusOr<v1::Receipt> a2 = Submit(SecretSignal("a2", "999990019"), "A");
  absl::StatusOr<v1::Receipt> b = Submit(SecretSignal("b", "999990032"), "B");
  ASSERT_TRUE(a1.ok() && a2.ok() && b.ok());
  DestroyCommand erase;
  absl::StatusOr<std::vector<StoredSignal>> of_a = store_->SubjectSignals("A");
  ASSERT_TRUE(of_a.ok());
  for (const StoredSignal& s : *of_a) erase.signal_ids.push_back(s.signal_id());
  ASSERT_EQ(erase.signal_ids.size(), 2u);
  erase.erasure_reason = "AVG-17 verzoek 2026-0042";
  erase.as_of = absl::Now();
  erase.audit.set_operation("subject_erase");
  erase.audit.set_data_subject_pseudonym(SubjectPseudonym("A"));
  ASSERT_EQ(Destroy(erase)->size(), 2u);

  EXPECT_TRUE(store_->SubjectSignals("A")->empty());
  EXPECT_EQ(store_->SubjectSignals("B")->size(), 1u);
  EXPECT_EQ(store_->GetSignal(a1->signal_id())->state(),
            v1::SIGNAL_STATE_DESTROYED);
  EXPECT_EQ(store_->GetSignal(b->signal_id())->signal().summary(),
            testing::kTestNarrative);
  AuditFilter erasures;
  erasures.operation = "subject_erase";
  absl::StatusOr<AuditPage> page = store_->audit().Query(erasures, 0, 10, 100);
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].signal_ids_size(), 2);
  absl::StatusOr<SignalStore::EventPage> events =
      store_->ReadEvents("ketenregisseur", 0, 10);
  ASSERT_GE(events->events.size(), 2u);
  EXPECT_EQ(events->events.back().withdrawn().reason(),
            "erasure: AVG-17 verzoek 2026-0042");
}

// A submit seals its content on the caller's thread, then queues it. One
// sealed just before a KEK rotation may commit after the rotation's passes
// and its check of which KEKs are unused: the commit wraps its data key
// under the current KEK, so the old one is safe to delete.
TEST(KekRotationTest, ASignalSealedBeforeARotationCommitsUnderTheNewKek) {
  TempDir dir;
  auto keys = *KekRing::OpenOrCreate(dir.path() + "/kek");
  auto db = *Database::Open(dir.path() + "/db", keys.get());
  StoredSignal sealed;
  sealed.set_signal_id(NewSignalId());
  *sealed.mutable_signal() = SecretSignal("late", "999990019");
  absl::StatusOr<v1::storage::WrappedDataKey> data_key =
      SealPayload(*keys, sealed);
  ASSERT_TRUE(data_key.ok()) << data_key.status();
  const std::string old_kek = data_key->kek_id();
  absl::StatusOr<std::string> new_kek = keys->Rotate();
  ASSERT_TRUE(new_kek.ok()) << new_kek.status();
  ASSERT_NE(*new_kek, old_kek);

  SubmitCommand command;
  command.partner_id = "politie";
  command.subject_key = "k";
  std::promise<absl::StatusOr<v1::Receipt>> receipt;
  {
    CommitPipeline pipeline(db.get(), 8, 1, 1, merkle::Frontier(), nullptr);
    pipeline.Enqueue(MakeSubmitMutation(
        std::move(command), sealed, *data_key,
        SignalContentHash(sealed.signal()),
        [&](absl::StatusOr<v1::Receipt> r) { receipt.set_value(r); }));
  }  // stops after committing
  ASSERT_TRUE(receipt.get_future().get().ok());
  std::string value;
  ASSERT_TRUE(db->db()
                  ->Get(rocksdb::ReadOptions(), db->data_keys(),
                        sealed.signal_id(), &value)
                  .ok());
  v1::storage::WrappedDataKey stored;
  ASSERT_TRUE(stored.ParseFromString(value));
  EXPECT_EQ(stored.kek_id(), *new_kek);
  absl::StatusOr<StoredSignal> read = db->ReadSignal(sealed.signal_id());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->signal().summary(), testing::kTestNarrative);
}

TEST_F(ProtectionTest, RotationWhileSubmittingKeepsEverySignalReadable) {
  std::vector<std::string> ids;
  for (int i = 0; i < 300; ++i) {
    absl::StatusOr<v1::Receipt> r =
        Submit(SecretSignal(absl::StrCat("pre", i), "999990019"), "k");
    ASSERT_TRUE(r.ok());
    ids.push_back(r->signal_id());
  }
  std::vector<std::string> during;
  std::thread submitter([&] {
    for (int i = 0; i < 200; ++i) {
      absl::StatusOr<v1::Receipt> r =
          Submit(SecretSignal(absl::StrCat("mid", i), "999990019"), "k");
      if (r.ok()) during.push_back(r->signal_id());
    }
  });
  absl::StatusOr<StoreMaintenance::Rotation> rotation =
      store_->maintenance().RotateKek();
  submitter.join();
  ASSERT_TRUE(rotation.ok()) << rotation.status();
  EXPECT_GE(rotation->rewrapped, 300u);
  ASSERT_EQ(rotation->unused_kek_ids.size(), 1u);
  ASSERT_EQ(during.size(), 200u);
  ids.insert(ids.end(), during.begin(), during.end());
  store_.reset();
  std::filesystem::remove(
      absl::StrCat(dir_.path(), "/keys/kek/", rotation->unused_kek_ids[0],
                   ".key"));  // the old KEK is gone for good
  Open();
  for (const std::string& id : ids) {
    absl::StatusOr<StoredSignal> read = store_->GetSignal(id);
    ASSERT_TRUE(read.ok()) << id << ": " << read.status();
    EXPECT_EQ(read->signal().summary(), testing::kTestNarrative);
  }
}

}  // namespace
}  // namespace ketenhub

namespace ketenhub {
namespace {

// Submits `count` signals from politie, one after the other, each receipted.
void SubmitSignals(SignalStore& store, int count, const std::string& prefix) {
  for (int i = 0; i < count; ++i) {
    SubmitCommand command;
    command.partner_id = "politie";
    command.signal = ValidSignal(absl::StrCat(prefix, i));
    command.subject_key = "k";
    std::promise<absl::StatusOr<v1::Receipt>> done;
    store.Submit(std::move(command), [&](absl::StatusOr<v1::Receipt> r) {
      done.set_value(std::move(r));
    });
    ASSERT_TRUE(done.get_future().get().ok());
  }
}

// A damaged data folder: a truncated SST file stops the store from opening
// (DATA_LOSS, "storage corrupted") rather than serving part of the data.
TEST(DamagedStorageTest, ATruncatedSstFileStopsTheStoreFromOpening) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  {
    auto store = *SignalStore::Open({path, 64, nullptr});
    ASSERT_NO_FATAL_FAILURE(SubmitSignals(*store, 50, "d"));
  }  // closing flushes to SST files
  std::string sst;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    if (entry.path().extension() == ".sst" &&
        (sst.empty() || entry.file_size() > std::filesystem::file_size(sst))) {
      sst = entry.path().string();
    }
  }
  ASSERT_FALSE(sst.empty());
  std::filesystem::resize_file(sst, std::filesystem::file_size(sst) / 2);
  absl::Status status = SignalStore::Open({path, 64, nullptr}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "corrupted")) << status;
}

// A damaged write-ahead log: a flipped byte in the middle of it stops the
// store from opening rather than replaying up to the damage and silently
// dropping the acknowledged writes after it.
TEST(DamagedStorageTest, ACorruptedWriteAheadLogStopsTheStoreFromOpening) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  auto file_system = std::make_shared<testing::PowerLossFileSystem>();
  std::unique_ptr<rocksdb::Env> env = testing::EnvOver(file_system);
  {
    auto store = *SignalStore::Open({path, 64, env.get()});
    ASSERT_NO_FATAL_FAILURE(SubmitSignals(*store, 50, "w"));
    file_system->CutPower();  // no flush at close: the writes stay in the WAL
  }
  file_system->DropUnsynced();
  std::string wal;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    if (entry.path().extension() == ".log" &&
        (wal.empty() || entry.file_size() > std::filesystem::file_size(wal))) {
      wal = entry.path().string();
    }
  }
  ASSERT_FALSE(wal.empty());
  const auto size = std::filesystem::file_size(wal);
  ASSERT_GT(size, 4096u);
  {
    std::fstream file(wal, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(size / 3);
    char byte = 0;
    file.read(&byte, 1);
    file.seekp(size / 3);
    byte ^= 0x20;
    file.write(&byte, 1);
  }
  absl::Status status = SignalStore::Open({path, 64, nullptr}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "corrupted")) << status;
}

}  // namespace
}  // namespace ketenhub
