#include "server/storage/signal_store.h"

#include <future>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "server/storage/database.h"
#include "server/storage/keys.h"
#include "tests/testing/test_hub.h"
#include "tests/testing/test_signals.h"

namespace ketenhub {
namespace {

using ::ketenhub::testing::TempDir;
using ::ketenhub::testing::ValidSignal;

class SignalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    absl::StatusOr<std::unique_ptr<SignalStore>> store =
        SignalStore::Open({dir_.path() + "/db", 64});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  std::future<absl::StatusOr<v1::Receipt>> SubmitAsync(
      const std::string& partner, const v1::Signal& signal) {
    auto promise =
        std::make_shared<std::promise<absl::StatusOr<v1::Receipt>>>();
    auto future = promise->get_future();
    SubmitCommand command;
    command.partner_id = partner;
    command.signal = signal;
    command.subject_key = "subject-key-" + signal.subject().bsn();
    command.policy_version = "policy-v1";
    store_->Submit(std::move(command),
                   [promise](absl::StatusOr<v1::Receipt> r) {
                     promise->set_value(std::move(r));
                   });
    return future;
  }

  absl::StatusOr<v1::Receipt> Submit(const std::string& partner,
                                     const v1::Signal& signal) {
    return SubmitAsync(partner, signal).get();
  }

  TempDir dir_;
  std::unique_ptr<SignalStore> store_;
};

TEST_F(SignalStoreTest, ReturnsReceiptAndStoresSignal) {
  absl::StatusOr<v1::Receipt> receipt = Submit("politie", ValidSignal("ref-1"));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->sequence(), 1u);
  EXPECT_EQ(receipt->client_ref(), "ref-1");
  EXPECT_EQ(receipt->signal_id().size(), 36u);
  absl::StatusOr<v1::storage::StoredSignal> stored =
      store_->GetOwnSignal("politie", receipt->signal_id());
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->source_partner(), "politie");
  EXPECT_EQ(stored->policy_version(), "policy-v1");
  EXPECT_EQ(stored->subject_key(), "subject-key-999990019");
}

TEST_F(SignalStoreTest, ReplayWithSameContentReturnsOriginalReceipt) {
  v1::Receipt first = *Submit("politie", ValidSignal("ref-1"));
  v1::Receipt again = *Submit("politie", ValidSignal("ref-1"));
  EXPECT_EQ(again.signal_id(), first.signal_id());
  EXPECT_EQ(again.sequence(), first.sequence());
  EXPECT_EQ(again.received_at().seconds(), first.received_at().seconds());
  EXPECT_EQ(Submit("politie", ValidSignal("ref-2"))->sequence(), 2u);
}

TEST_F(SignalStoreTest, ReplayWithOtherContentIsAlreadyExists) {
  ASSERT_TRUE(Submit("politie", ValidSignal("ref-1")).ok());
  v1::Signal other = ValidSignal("ref-1");
  other.set_summary("iets anders");
  absl::StatusOr<v1::Receipt> receipt = Submit("politie", other);
  EXPECT_EQ(receipt.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(receipt.status().message().find("client_ref"),
            absl::string_view::npos);
}

TEST_F(SignalStoreTest, ClientRefsArePerPartner) {
  v1::Receipt a = *Submit("politie", ValidSignal("ref-1"));
  v1::Receipt b = *Submit("ggd", ValidSignal("ref-1"));
  EXPECT_NE(a.signal_id(), b.signal_id());
}

TEST_F(SignalStoreTest, DuplicatesInOneGroupShareOneReceipt) {
  std::vector<std::future<absl::StatusOr<v1::Receipt>>> futures;
  for (int i = 0; i < 50; ++i)
    futures.push_back(SubmitAsync("politie", ValidSignal("same")));
  std::set<std::string> ids;
  for (auto& f : futures) ids.insert(f.get()->signal_id());
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(Submit("politie", ValidSignal("next"))->sequence(), 2u);
}

TEST_F(SignalStoreTest, OtherPartnersSignalIsNotFound) {
  v1::Receipt receipt = *Submit("politie", ValidSignal("ref-1"));
  EXPECT_EQ(store_->GetOwnSignal("ggd", receipt.signal_id()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetOwnSignal("politie", "no-such-id").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SignalStoreTest, SignalsAndIdempotencySurviveReopen) {
  v1::Receipt first = *Submit("politie", ValidSignal("ref-1"));
  store_.reset();
  Open();
  EXPECT_TRUE(store_->GetOwnSignal("politie", first.signal_id()).ok());
  EXPECT_EQ(Submit("politie", ValidSignal("ref-1"))->signal_id(),
            first.signal_id());
  EXPECT_EQ(Submit("politie", ValidSignal("ref-2"))->sequence(), 2u);
}

TEST_F(SignalStoreTest, ConcurrentSubmitsGetDenseDistinctSequences) {
  constexpr int kThreads = 8, kPerThread = 125;
  std::vector<std::thread> threads;
  std::vector<std::vector<uint64_t>> sequences(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto receipt =
            Submit("politie", ValidSignal(absl::StrCat("t", t, "-", i)));
        if (receipt.ok()) sequences[t].push_back(receipt->sequence());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<uint64_t> all;
  for (const auto& s : sequences) all.insert(s.begin(), s.end());
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*all.begin(), 1u);
  EXPECT_EQ(*all.rbegin(), static_cast<uint64_t>(kThreads * kPerThread));
}

TEST_F(SignalStoreTest, ClosedStoreRefusesWithUnavailable) {
  store_->Close();
  EXPECT_EQ(Submit("politie", ValidSignal("ref-1")).status().code(),
            absl::StatusCode::kUnavailable);
}

// A submit is a match when its partner had no active signal about the person
// yet and another partner has one. The partner's newest signal answers that
// first; when it is withdrawn, the person's other entries must.
class MatchingTest : public SignalStoreTest {
 protected:
  absl::StatusOr<v1::Receipt> SubmitAboutPerson(const std::string& partner,
                                                const std::string& ref) {
    std::promise<absl::StatusOr<v1::Receipt>> promise;
    SubmitCommand command;
    command.partner_id = partner;
    command.signal = ValidSignal(ref);
    command.subject_key = "subject-key-of-the-person";
    command.receivers = {"ketenregisseur"};
    store_->Submit(std::move(command), [&](absl::StatusOr<v1::Receipt> r) {
      promise.set_value(std::move(r));
    });
    return promise.get_future().get();
  }

  absl::Status Withdraw(const std::string& partner,
                        const std::string& signal_id) {
    std::promise<absl::Status> promise;
    store_->Withdraw(partner, signal_id, "entered in error", {},
                     [&](absl::StatusOr<v1::storage::StoredSignal> r) {
                       promise.set_value(r.status());
                     });
    return promise.get_future().get();
  }

  // The match events so far: for each, the partners it names.
  std::vector<std::set<std::string>> Matches() {
    std::vector<std::set<std::string>> matches;
    absl::StatusOr<SignalStore::EventPage> page =
        store_->ReadEvents("ketenregisseur", 0, 1000);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return matches;
    for (const v1::storage::StoredEvent& event : page->events) {
      if (!event.has_match()) continue;
      std::set<std::string> partners;
      for (const v1::MatchedSignal& signal : event.match().signals())
        partners.insert(signal.source_partner());
      matches.push_back(partners);
    }
    return matches;
  }
};

TEST_F(MatchingTest, APartnerWithAnActiveSignalIsNoNewsEvenIfItsNewestIsNot) {
  const std::set<std::string> both = {"politie", "ggd"};
  ASSERT_TRUE(SubmitAboutPerson("politie", "p1").ok());
  EXPECT_TRUE(Matches().empty());
  absl::StatusOr<v1::Receipt> g1 = SubmitAboutPerson("ggd", "g1");
  ASSERT_TRUE(g1.ok());
  EXPECT_EQ(Matches(), std::vector<std::set<std::string>>{both});
  absl::StatusOr<v1::Receipt> g2 = SubmitAboutPerson("ggd", "g2");
  ASSERT_TRUE(g2.ok());
  EXPECT_EQ(Matches().size(), 1u);  // ggd knew the person (g1)
  // ggd's newest is withdrawn, g1 is still active: still no news.
  ASSERT_TRUE(Withdraw("ggd", g2->signal_id()).ok());
  absl::StatusOr<v1::Receipt> g3 = SubmitAboutPerson("ggd", "g3");
  ASSERT_TRUE(g3.ok());
  EXPECT_EQ(Matches().size(), 1u);
  // With none of ggd's signals active, its next one is news again.
  ASSERT_TRUE(Withdraw("ggd", g1->signal_id()).ok());
  ASSERT_TRUE(Withdraw("ggd", g3->signal_id()).ok());
  ASSERT_TRUE(SubmitAboutPerson("ggd", "g4").ok());
  EXPECT_EQ(Matches(), (std::vector<std::set<std::string>>{both, both}));
}

TEST(SignalStoreOpenTest, RefusesForeignSchemaVersion) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  { ASSERT_TRUE(SignalStore::Open({path, 8}).ok()); }
  {
    std::vector<std::string> names;
    ASSERT_TRUE(
        rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names)
            .ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& name : names) {
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(
        rocksdb::DB::Open(rocksdb::DBOptions(), path, families, &handles, &db)
            .ok());
    ASSERT_TRUE(
        db->Put(rocksdb::WriteOptions(), storage_keys::kSchemaVersionKey, "99")
            .ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  absl::Status status = SignalStore::Open({path, 8}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("schema version 99"),
            absl::string_view::npos);
}

TEST(SignalContentHashTest, EqualForEqualContentOnly) {
  EXPECT_EQ(SignalContentHash(ValidSignal("a")),
            SignalContentHash(ValidSignal("a")));
  EXPECT_NE(SignalContentHash(ValidSignal("a")),
            SignalContentHash(ValidSignal("b")));
}

}  // namespace
}  // namespace ketenhub

namespace ketenhub {
namespace {

// Makes a data folder as an older hub left it: these column families and
// this schema version.
void MakeStore(const std::string& path, const std::vector<std::string>& names,
               const std::string& version) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& name : names)
    families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, path, families, &handles, &db).ok());
  ASSERT_TRUE(
      db->Put(rocksdb::WriteOptions(), storage_keys::kSchemaVersionKey, version)
          .ok());
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
}

// A version 3 data folder: the six families of before the audit trail.
TEST(SignalStoreOpenTest, UpgradesSchemaThreeByAddingTheAuditTrail) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  ASSERT_NO_FATAL_FAILURE(
      MakeStore(path,
                {"default", "signals", "signal_ids", "idempotency",
                 "subject_index", "events", "cursors"},
                "3"));
  absl::StatusOr<std::unique_ptr<SignalStore>> store =
      SignalStore::Open({path, 8});
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->audit().Head().size, 0u);
  store->reset();
  std::vector<std::string> names;
  ASSERT_TRUE(
      rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
  EXPECT_THAT(names, ::testing::Contains("audit_tree"));
  EXPECT_TRUE(SignalStore::Open({path, 8}).ok());  // now version 4
}

// A version 4 store from before subject_partners: a read-only open (an
// auditor verifying a copy) works without it; a hub adds it.
TEST(SignalStoreOpenTest, OpensAStoreFromBeforeTheSubjectPartners) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  ASSERT_NO_FATAL_FAILURE(
      MakeStore(path,
                {"default", "signals", "signal_ids", "idempotency",
                 "subject_index", "events", "cursors", "audit", "audit_tree",
                 "audit_index", "audit_checkpoints", "data_keys"},
                "4"));
  {
    absl::StatusOr<std::unique_ptr<Database>> copy =
        Database::OpenReadOnly(path);
    ASSERT_TRUE(copy.ok()) << copy.status();
    EXPECT_EQ((*copy)->subject_partners(), nullptr);
    EXPECT_TRUE((*copy)->AuditSize().ok());
  }
  ASSERT_TRUE(SignalStore::Open({path, 8}).ok());
  absl::StatusOr<std::unique_ptr<Database>> copy = Database::OpenReadOnly(path);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_NE((*copy)->subject_partners(), nullptr);
}

}  // namespace
}  // namespace ketenhub

namespace ketenhub {
namespace {

// Database's typed scan: key order from `from`, stops on kStop, and a value
// that does not parse is DATA_LOSS naming the scan, not a skipped record.
TEST(DatabaseScanTest, VisitsInOrderStopsAndRefusesUnreadableRecords) {
  testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<Database>> database =
      Database::Open(dir.path() + "/db");
  ASSERT_TRUE(database.ok()) << database.status();
  rocksdb::DB* db = (*database)->db();
  for (uint64_t cursor : {1, 2, 3, 4}) {
    v1::storage::StoredEvent event;
    event.set_cursor(cursor);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), (*database)->events(),
                        storage_keys::EncodeSequence(cursor),
                        event.SerializeAsString())
                    .ok());
  }
  std::vector<uint64_t> seen;
  absl::Status scan = (*database)->Scan<v1::storage::StoredEvent>(
      Family::kEvents, storage_keys::EncodeSequence(2), "read events",
      [&](absl::string_view key, v1::storage::StoredEvent& event) {
        EXPECT_EQ(storage_keys::DecodeSequence(key), event.cursor());
        seen.push_back(event.cursor());
        return event.cursor() == 3 ? ScanStep::kStop : ScanStep::kContinue;
      });
  EXPECT_TRUE(scan.ok()) << scan;
  EXPECT_EQ(seen, (std::vector<uint64_t>{2, 3}));

  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), (*database)->events(),
                      storage_keys::EncodeSequence(5), "\xff\xff not a record")
                  .ok());
  seen.clear();
  scan = (*database)->Scan<v1::storage::StoredEvent>(
      Family::kEvents, "", "read events",
      [&](absl::string_view, v1::storage::StoredEvent& event) {
        seen.push_back(event.cursor());
        return ScanStep::kContinue;
      });
  EXPECT_EQ(scan.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(scan.message(), "read events: a record is unreadable");
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2, 3, 4}));
}

}  // namespace
}  // namespace ketenhub
