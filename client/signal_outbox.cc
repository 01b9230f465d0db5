#include "client/signal_outbox.h"

#include <sys/stat.h>

#include <filesystem>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/db.h"

namespace ketenhub {
namespace {

constexpr char kDeadLetters[] = "dead_letters";
constexpr size_t kBatch = 64;

std::string EncodeSequence(uint64_t sequence) {
  std::string key(8, '\0');
  for (int i = 7; i >= 0; --i) {
    key[i] = static_cast<char>(sequence & 0xff);
    sequence >>= 8;
  }
  return key;
}

uint64_t DecodeSequence(const rocksdb::Slice& key) {
  uint64_t sequence = 0;
  for (size_t i = 0; i < key.size() && i < 8; ++i)
    sequence = (sequence << 8) | static_cast<unsigned char>(key[i]);
  return sequence;
}

bool IsRetryable(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ||
         absl::IsResourceExhausted(status) || absl::IsAborted(status) ||
         absl::IsInternal(status) || absl::IsUnknown(status);
}

class RocksOutbox final : public SignalOutbox {
 public:
  RocksOutbox(Options options, OutcomeHandler on_outcome,
              std::unique_ptr<SignalClient> client, rocksdb::DB* db,
              std::vector<rocksdb::ColumnFamilyHandle*> handles,
              uint64_t next_sequence, uint64_t pending)
      : options_(std::move(options)),
        on_outcome_(std::move(on_outcome)),
        client_(std::move(client)),
        db_(db),
        handles_(std::move(handles)),
        next_sequence_(next_sequence),
        pending_(pending),
        sender_([this] { Send(); }) {}

  ~RocksOutbox() override {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    sender_.join();
    for (rocksdb::ColumnFamilyHandle* handle : handles_)
      db_->DestroyColumnFamilyHandle(handle);
    delete db_;
  }

  absl::StatusOr<std::string> Enqueue(v1::Signal signal) override {
    if (signal.client_ref().empty()) signal.set_client_ref(NewClientRef());
    absl::MutexLock lock(&mu_);  // keeps the queue in sequence order
    rocksdb::WriteOptions sync;
    sync.sync = true;
    rocksdb::Status s =
        db_->Put(sync, handles_[0], EncodeSequence(next_sequence_),
                 signal.SerializeAsString());
    if (!s.ok()) {
      return absl::UnavailableError(
          absl::StrCat("outbox: cannot write to disk: ", s.ToString()));
    }
    ++next_sequence_;
    ++pending_;
    return signal.client_ref();
  }

  absl::Status Flush(absl::Time deadline) override {
    absl::MutexLock lock(&mu_);
    const bool empty = mu_.AwaitWithDeadline(
        absl::Condition(
            +[](uint64_t* pending) { return *pending == 0; }, &pending_),
        deadline);
    if (empty) return absl::OkStatus();
    return absl::DeadlineExceededError(
        absl::StrCat("outbox: ", pending_, " signal(s) still queued"));
  }

  uint64_t pending() const override {
    absl::MutexLock lock(&mu_);
    return pending_;
  }

 private:
  // The oldest queued signals, up to kBatch.
  std::vector<std::pair<std::string, v1::Signal>> Oldest() {
    std::vector<std::pair<std::string, v1::Signal>> batch;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), handles_[0]));
    for (it->SeekToFirst(); it->Valid() && batch.size() < kBatch; it->Next()) {
      v1::Signal signal;
      signal.ParseFromArray(it->value().data(),
                            static_cast<int>(it->value().size()));
      batch.emplace_back(it->key().ToString(), std::move(signal));
    }
    return batch;
  }

  // Waits `delay` unless stopping; false when stopping.
  bool Wait(absl::Duration delay) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), delay);
    return !stopping_;
  }

  void Done(const std::string& key, const v1::Signal& signal,
            const absl::StatusOr<v1::Receipt>& outcome) {
    rocksdb::WriteBatch batch;
    batch.Delete(handles_[0], key);
    if (!outcome.ok()) batch.Put(handles_[1], key, signal.SerializeAsString());
    (void)db_->Write(rocksdb::WriteOptions(), &batch);  // a replay is harmless
    // The handler runs before the count drops, so that Flush returning means
    // every outcome was handed over.
    if (on_outcome_) on_outcome_(signal.client_ref(), outcome);
    absl::MutexLock lock(&mu_);
    --pending_;
  }

  void Send() {
    absl::Duration backoff = options_.client.initial_backoff;
    for (;;) {
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](RocksOutbox* o) ABSL_EXCLUSIVE_LOCKS_REQUIRED(o->mu_) {
              return o->stopping_ || o->pending_ > 0;
            },
            this));
        if (stopping_) return;
      }
      for (auto& [key, signal] : Oldest()) {
        absl::StatusOr<v1::Receipt> receipt = client_->Submit(signal);
        if (!receipt.ok() && IsRetryable(receipt.status())) {
          if (!Wait(backoff)) return;
          backoff = std::min(backoff * 2, options_.max_backoff);
          break;  // start again from the oldest
        }
        backoff = options_.client.initial_backoff;
        Done(key, signal, receipt);
      }
    }
  }

  const Options options_;
  const OutcomeHandler on_outcome_;
  const std::unique_ptr<SignalClient> client_;
  rocksdb::DB* const db_;
  const std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  mutable absl::Mutex mu_;
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_);
  uint64_t pending_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread sender_;  // last
};

}  // namespace

absl::StatusOr<std::unique_ptr<SignalOutbox>> SignalOutbox::Open(
    Options options, OutcomeHandler on_outcome) {
  std::error_code error;
  std::filesystem::create_directories(options.path, error);
  if (error || ::chmod(options.path.c_str(), 0700) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("outbox: cannot create ", options.path));
  }
  ClientOptions client_options = options.client;
  client_options.max_attempts = 1;  // the outbox retries, for ever
  absl::StatusOr<std::unique_ptr<SignalClient>> client =
      SignalClient::Connect(client_options);
  if (!client.ok()) return client.status();
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {kDeadLetters, rocksdb::ColumnFamilyOptions()}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(db_options, options.path, families, &handles, &db);
  if (!s.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("outbox: cannot open ", options.path, ": ", s.ToString()));
  }
  uint64_t pending = 0;
  uint64_t next = 1;
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions(), handles[0]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ++pending;
    next = DecodeSequence(it->key()) + 1;
  }
  it.reset();
  return std::unique_ptr<SignalOutbox>(new RocksOutbox(
      std::move(options), std::move(on_outcome), *std::move(client), db,
      std::move(handles), next, pending));
}

}  // namespace ketenhub
