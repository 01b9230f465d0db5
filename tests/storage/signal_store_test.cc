#include "server/storage/signal_store.h"

#include <future>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
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

// A version 3 data folder: the six families of before the audit trail.
TEST(SignalStoreOpenTest, UpgradesSchemaThreeByAddingTheAuditTrail) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  {
    rocksdb::DBOptions options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const char* name : {"default", "signals", "signal_ids", "idempotency",
                             "subject_index", "events", "cursors"}) {
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, path, families, &handles, &db).ok());
    ASSERT_TRUE(
        db->Put(rocksdb::WriteOptions(), storage_keys::kSchemaVersionKey, "3")
            .ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  absl::StatusOr<std::unique_ptr<SignalStore>> store =
      SignalStore::Open({path, 8});
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->AuditHead().size, 0u);
  store->reset();
  std::vector<std::string> names;
  ASSERT_TRUE(
      rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
  EXPECT_THAT(names, ::testing::Contains("audit_tree"));
  EXPECT_TRUE(SignalStore::Open({path, 8}).ok());  // now version 4
}

}  // namespace
}  // namespace ketenhub
