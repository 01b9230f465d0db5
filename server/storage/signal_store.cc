#include "server/storage/signal_store.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <bit>
#include <filesystem>
#include <future>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "rocksdb/utilities/checkpoint.h"
#include "server/common/files.h"
#include "server/common/status_macros.h"
#include "server/storage/audit_log.h"
#include "server/storage/audit_verify.h"
#include "server/storage/commit_pipeline.h"
#include "server/storage/database.h"
#include "server/storage/keys.h"
#include "server/storage/payload_cipher.h"
#include "server/storage/rocksdb_status.h"
#include "server/storage/signal_lifetime.h"
#include "server/storage/signal_mutations.h"
#include "server/storage/time_conversion.h"

namespace ketenhub {
namespace {

// The SHA-256 of a signal's ContentBytes: what idempotency compares.
std::string ContentHash(absl::string_view content_bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(content_bytes.data()),
         content_bytes.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

// Makes the folder `dir` 0700 and every file and folder in it 0600 / 0700,
// whatever the umask: a copy of the database holds personal data. (The
// files of a checkpoint may be hard links to the live database's, which are
// then private too.)
absl::Status MakePrivate(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::permissions(dir, fs::perms::owner_all, error);
  fs::recursive_directory_iterator it(dir, error), end;
  for (; !error && it != end; it.increment(error)) {
    const bool folder = it->is_directory(error);
    if (error) break;
    fs::permissions(it->path(),
                    folder ? fs::perms::owner_all
                           : fs::perms::owner_read | fs::perms::owner_write,
                    error);
  }
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot make ", dir, " private: ", error.message()));
  }
  return absl::OkStatus();
}

using v1::storage::StoredEvent;
using v1::storage::StoredSignal;

bool IsReceiver(const StoredSignal& signal, absl::string_view receiver) {
  return std::find(signal.receivers().begin(), signal.receivers().end(),
                   receiver) != signal.receivers().end();
}

// Whether a signal was routed to `receiver`, for MakeSignalUpdate.
SignalAccess ReceivedBy(std::string receiver) {
  return [receiver = std::move(receiver)](const StoredSignal& signal) {
    return IsReceiver(signal, receiver);
  };
}

absl::Status NotFound() {
  return absl::NotFoundError("signal_id: no such signal");
}

// Counts a copy's signals and verifies its audit trail.
absl::StatusOr<SignalStore::BackupInfo> VerifyCopy(
    const std::string& db_dir, absl::string_view public_key_pem) {
  absl::StatusOr<AuditVerification> audit =
      VerifyAuditLog(db_dir, public_key_pem, {}, nullptr);
  if (!audit.ok()) return audit.status();
  if (!audit->problem.empty()) {
    return absl::DataLossError(absl::StrCat(
        "the copy's audit trail does not verify: ", audit->problem));
  }
  absl::StatusOr<std::unique_ptr<Database>> database =
      Database::OpenReadOnly(db_dir);
  if (!database.ok()) return database.status();
  SignalStore::BackupInfo info;
  std::unique_ptr<rocksdb::Iterator> it((*database)->db()->NewIterator(
      rocksdb::ReadOptions(), (*database)->signals()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++info.signals;
  if (!it->status().ok()) return FromRocksDbStatus(it->status(), "count");
  info.audit_records = audit->records;
  info.audit_root = audit->root;
  return info;
}

class RocksSignalStore final : public SignalStore {
 public:
  RocksSignalStore(std::unique_ptr<KekRing> keys,
                   std::unique_ptr<Database> database, size_t max_group_size,
                   uint64_t next_sequence, uint64_t next_cursor,
                   merkle::Frontier audit_tree)
      : keys_(std::move(keys)),
        database_(std::move(database)),
        pipeline_(database_.get(), max_group_size, next_sequence, next_cursor,
                  std::move(audit_tree),
                  [this](uint64_t last) { NotifyListener(last); }) {}

  ~RocksSignalStore() override { Close(); }

  // Seals on the caller's thread, so that many submits encrypt in parallel
  // and the pipeline thread only writes.
  // Serialises the content once, for its hash and its ciphertext, wipes
  // those bytes, and seals nothing for a client_ref already known (a replay
  // gets its first receipt and needs no payload).
  void Submit(SubmitCommand command, ReceiptCallback done) override {
    StoredSignal sealed;
    sealed.set_signal_id(NewSignalId());
    std::string plaintext = ContentBytes(command.signal);
    std::string content_hash = ContentHash(plaintext);
    std::optional<v1::storage::WrappedDataKey> data_key;
    absl::Status sealing;
    if (!database_->HasIdempotency(storage_keys::IdempotencyKey(
            command.partner_id, command.signal.client_ref()))) {
      absl::StatusOr<v1::storage::WrappedDataKey> wrapped =
          SealPayload(*keys_, plaintext, sealed);
      if (wrapped.ok()) data_key = *std::move(wrapped);
      sealing = wrapped.status();
    }
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    if (!sealing.ok()) return std::move(done)(sealing);
    *sealed.mutable_signal() = std::move(command.signal);
    pipeline_.Enqueue(MakeSubmitMutation(
        std::move(command), std::move(sealed), std::move(data_key),
        std::move(content_hash), std::move(done)));
  }

  void Withdraw(std::string partner_id, std::string signal_id,
                std::string reason, v1::AuditRecord audit,
                SignalCallback done) override {
    auto owns = [partner_id](const StoredSignal& signal) {
      return signal.source_partner() == partner_id;
    };
    auto change = [reason](StoredSignal& signal) -> absl::Status {
      if (signal.state() == v1::SIGNAL_STATE_WITHDRAWN) {
        return absl::FailedPreconditionError("signal_id: already withdrawn");
      }
      signal.set_state(v1::SIGNAL_STATE_WITHDRAWN);
      signal.set_withdraw_reason(reason);
      return absl::OkStatus();
    };
    auto event = [](const StoredSignal& signal, StoredEvent& event) {
      if (signal.receivers().empty()) return false;
      *event.mutable_receivers() = signal.receivers();
      v1::SignalWithdrawn* withdrawn = event.mutable_withdrawn();
      withdrawn->set_signal_id(signal.signal_id());
      withdrawn->set_source_partner(signal.source_partner());
      withdrawn->set_reason(signal.withdraw_reason());
      return true;
    };
    pipeline_.Enqueue(MakeSignalUpdate(std::move(signal_id), owns, change,
                                       event, std::move(audit),
                                       std::move(done)));
  }

  void Decide(std::string receiver, std::string signal_id,
              v1::Decision decision, v1::AuditRecord audit,
              SignalCallback done) override {
    auto change = [decision](StoredSignal& signal) -> absl::Status {
      if (signal.state() == v1::SIGNAL_STATE_WITHDRAWN) {
        return absl::FailedPreconditionError(
            "signal_id: withdrawn by its source");
      }
      signal.set_state(v1::SIGNAL_STATE_DECIDED);
      *signal.mutable_decision() = decision;
      return absl::OkStatus();
    };
    pipeline_.Enqueue(
        MakeSignalUpdate(std::move(signal_id), ReceivedBy(std::move(receiver)),
                         change, nullptr, std::move(audit), std::move(done)));
  }

  void Release(std::string receiver, std::string signal_id, v1::DataKind kind,
               v1::AuditRecord audit, SignalCallback done) override {
    auto change = [kind](StoredSignal& signal) -> absl::Status {
      const auto& released = signal.released_kinds();
      if (std::find(released.begin(), released.end(), kind) == released.end()) {
        signal.add_released_kinds(kind);
      }
      return absl::OkStatus();
    };
    pipeline_.Enqueue(
        MakeSignalUpdate(std::move(signal_id), ReceivedBy(std::move(receiver)),
                         change, nullptr, std::move(audit), std::move(done)));
  }

  void Ack(std::string subscriber, uint64_t cursor, v1::AuditRecord audit,
           CursorCallback done) override {
    pipeline_.Enqueue(MakeAckMutation(std::move(subscriber), cursor,
                                      std::move(audit), std::move(done)));
  }

  void Record(std::vector<v1::AuditRecord> records,
              StatusCallback done) override {
    pipeline_.Enqueue(
        MakeAuditOnlyMutation(std::move(records), std::move(done)));
  }

  void StoreCheckpoint(v1::SignedCheckpoint checkpoint,
                       StatusCallback done) override {
    pipeline_.Enqueue(
        MakeCheckpointWrite(std::move(checkpoint), std::move(done)));
  }

  absl::StatusOr<std::optional<v1::SignedCheckpoint>> LastCheckpoint()
      const override {
    return database_->LastCheckpoint();
  }

  AuditTreeHead AuditHead() const override {
    CommitPipeline::TreeHead head = pipeline_.audit_tree_head();
    return {head.size, std::move(head.root)};
  }

  absl::StatusOr<AuditPage> QueryAudit(const AuditFilter& filter,
                                       uint64_t from_index, size_t max,
                                       size_t max_scanned) const override {
    return QueryAuditLog(*database_, AuditHead().size, filter, from_index, max,
                         max_scanned);
  }

  absl::StatusOr<std::string> ReadAuditRecord(uint64_t index) const override {
    if (index >= AuditHead().size)
      return absl::OutOfRangeError("index: beyond the audit trail");
    return ReadAuditLeaf(*database_, index);
  }

  absl::StatusOr<std::vector<std::string>> AuditInclusionProof(
      uint64_t index, uint64_t tree_size) const override {
    if (tree_size > AuditHead().size)
      return absl::OutOfRangeError("tree_size: beyond the audit trail");
    return merkle::InclusionProof(index, tree_size, StoredSubtrees());
  }

  absl::StatusOr<std::vector<std::string>> AuditConsistencyProof(
      uint64_t old_size, uint64_t new_size) const override {
    if (new_size > AuditHead().size)
      return absl::OutOfRangeError("new_size: beyond the audit trail");
    return merkle::ConsistencyProof(old_size, new_size, StoredSubtrees());
  }

  absl::StatusOr<StoredSignal> GetSignal(
      absl::string_view signal_id) const override {
    return database_->ReadSignal(signal_id);
  }

  std::vector<absl::StatusOr<StoredSignal>> GetSignals(
      absl::Span<const std::string> signal_ids) const override {
    return database_->ReadSignals(signal_ids);
  }

  absl::StatusOr<StoredSignal> GetSignalRecord(
      absl::string_view signal_id) const override {
    return database_->ReadSignal(signal_id, /*decrypt=*/false);
  }

  absl::StatusOr<StoredSignal> GetOwnSignal(
      absl::string_view partner_id,
      absl::string_view signal_id) const override {
    absl::StatusOr<StoredSignal> stored = database_->ReadSignal(signal_id);
    if (stored.ok() && stored->source_partner() != partner_id)
      return NotFound();
    return stored;
  }

  absl::StatusOr<EventPage> ReadEvents(absl::string_view receiver,
                                       uint64_t after,
                                       size_t max) const override;

  uint64_t LastCursor() const override { return pipeline_.last_cursor(); }

  bool StorageWritable() const override {
    return !pipeline_.last_write_failed();
  }

  absl::Status ProbeStorage() override {
    rocksdb::Status s = database_->db()->Resume();
    if (s.ok()) {
      s = database_->db()->Put(Database::SyncWrite(),
                               storage_keys::kStorageProbeKey,
                               absl::FormatTime(absl::Now()));
    }
    if (!s.ok()) return absl::UnavailableError(s.ToString());
    pipeline_.ClearWriteFailure();
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> AckedCursor(
      absl::string_view subscriber) const override {
    return database_->ReadAckedCursor(subscriber);
  }

  absl::StatusOr<std::vector<StoredSignal>> ListUnrouted(
      uint64_t after_sequence, size_t max) const override;

  absl::StatusOr<std::vector<StoredSignal>> DueSignals(
      absl::Time as_of) const override;

  void Destroy(DestroyCommand command, DestroyCallback done) override {
    pipeline_.Enqueue(MakeDestroyMutation(
        std::move(command),
        [this, done = std::move(done)](
            absl::StatusOr<std::vector<StoredSignal>> destroyed) mutable {
          if (destroyed.ok() && !destroyed->empty()) FlushSoon();
          std::move(done)(std::move(destroyed));
        }));
  }

  absl::StatusOr<std::vector<StoredSignal>> SubjectSignals(
      absl::string_view subject_key) const override {
    absl::StatusOr<std::map<uint64_t, v1::storage::SubjectIndexEntry>> entries =
        database_->SubjectEntries(subject_key);
    if (!entries.ok()) return entries.status();
    std::vector<StoredSignal> signals;
    for (const auto& [sequence, entry] : *entries) {
      absl::StatusOr<StoredSignal> signal =
          database_->ReadSignal(entry.signal_id());
      if (!signal.ok()) return signal.status();
      signals.push_back(*std::move(signal));
    }
    return signals;
  }

  absl::StatusOr<Rotation> RotateKek() override;

  absl::StatusOr<BackupInfo> Backup(
      const std::string& dir, absl::string_view public_key_pem) const override {
    std::error_code error;
    const bool exists = std::filesystem::exists(dir, error);
    if (error) {
      return absl::FailedPreconditionError(
          absl::StrCat("backup_dir: cannot be read: ", error.message()));
    }
    if (exists)
      return absl::AlreadyExistsError("name: a backup of that name exists");
    rocksdb::Checkpoint* checkpoint = nullptr;
    rocksdb::Status s =
        rocksdb::Checkpoint::Create(database_->db(), &checkpoint);
    std::unique_ptr<rocksdb::Checkpoint> owned(checkpoint);
    if (s.ok()) s = checkpoint->CreateCheckpoint(dir);
    if (!s.ok()) return FromRocksDbStatus(s, "backup");
    KETENHUB_RETURN_IF_ERROR(MakePrivate(dir));
    return VerifyCopy(dir, public_key_pem);
  }

  absl::Status BindPseudonymKey(absl::string_view key_check) override {
    std::string stored;
    rocksdb::Status s = database_->db()->Get(
        rocksdb::ReadOptions(), storage_keys::kPseudonymKeyCheckKey, &stored);
    if (s.IsNotFound()) {
      return FromRocksDbStatus(
          database_->db()->Put(
              Database::SyncWrite(), storage_keys::kPseudonymKeyCheckKey,
              rocksdb::Slice(key_check.data(), key_check.size())),
          "store pseudonym key check");
    }
    if (!s.ok()) return FromRocksDbStatus(s, "read pseudonym key check");
    if (stored != key_check) {
      return absl::FailedPreconditionError(
          "keys/pseudonym.key is not the key this data was written with; "
          "restore the original key (see the operator guide)");
    }
    return absl::OkStatus();
  }
  // Re-wraps every data key not under `current`; returns how many.
  absl::StatusOr<uint64_t> RewrapPass(const std::string& current);

  void SetEventListener(std::function<void(uint64_t)> listener) override {
    absl::MutexLock lock(&listener_mu_);
    listener_ = std::move(listener);
  }

  void Close() override { pipeline_.Stop(); }

 private:
  // Starts flushing the memtables (without waiting), so that shredded keys
  // and content leave the write-ahead log now; periodic compaction then
  // drops them from the SST files within a day.
  void FlushSoon() { (void)database_->FlushAll(/*wait=*/false); }

  merkle::PerfectSubtree StoredSubtrees() const {
    return [db = database_.get()](uint64_t begin, uint64_t end) {
      const int level = std::countr_zero(end - begin);
      return db->ReadAuditNode(level, begin >> level);
    };
  }

  void NotifyListener(uint64_t last) {
    absl::MutexLock lock(&listener_mu_);
    if (listener_) listener_(last);
  }

  const std::unique_ptr<KekRing> keys_;
  const std::unique_ptr<Database> database_;
  absl::Mutex listener_mu_;
  std::function<void(uint64_t)> listener_ ABSL_GUARDED_BY(listener_mu_);
  CommitPipeline pipeline_;  // last: its thread calls NotifyListener
};

absl::StatusOr<SignalStore::EventPage> RocksSignalStore::ReadEvents(
    absl::string_view receiver, uint64_t after, size_t max) const {
  EventPage page;
  page.scanned_to = after;
  const uint64_t last = LastCursor();
  if (after >= last) return page;
  std::unique_ptr<rocksdb::Iterator> it(database_->db()->NewIterator(
      rocksdb::ReadOptions(), database_->events()));
  size_t scanned = 0;
  for (it->Seek(storage_keys::EncodeSequence(after + 1));
       it->Valid() && page.events.size() < max && scanned < 16 * max;
       it->Next(), ++scanned) {
    StoredEvent event;
    if (!event.ParseFromArray(it->value().data(),
                              static_cast<int>(it->value().size()))) {
      return absl::DataLossError("event record unreadable");
    }
    if (event.cursor() > last) break;  // committed, but not yet announced
    page.scanned_to = event.cursor();
    if (std::find(event.receivers().begin(), event.receivers().end(),
                  receiver) != event.receivers().end()) {
      page.events.push_back(std::move(event));
    }
  }
  if (!it->status().ok()) return FromRocksDbStatus(it->status(), "read events");
  return page;
}

absl::StatusOr<std::vector<StoredSignal>> RocksSignalStore::ListUnrouted(
    uint64_t after_sequence, size_t max) const {
  std::vector<StoredSignal> unrouted;
  std::unique_ptr<rocksdb::Iterator> it(database_->db()->NewIterator(
      rocksdb::ReadOptions(), database_->signals()));
  for (it->Seek(storage_keys::EncodeSequence(after_sequence + 1));
       it->Valid() && unrouted.size() < max; it->Next()) {
    StoredSignal signal;
    if (!signal.ParseFromArray(it->value().data(),
                               static_cast<int>(it->value().size()))) {
      return absl::DataLossError("signal record unreadable");
    }
    if (signal.receivers().empty()) unrouted.push_back(std::move(signal));
  }
  if (!it->status().ok())
    return FromRocksDbStatus(it->status(), "list unrouted");
  return unrouted;
}

absl::StatusOr<std::vector<StoredSignal>> RocksSignalStore::DueSignals(
    absl::Time as_of) const {
  std::vector<StoredSignal> due;
  std::unique_ptr<rocksdb::Iterator> it(database_->db()->NewIterator(
      rocksdb::ReadOptions(), database_->signals()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    StoredSignal signal;
    if (!signal.ParseFromArray(it->value().data(),
                               static_cast<int>(it->value().size()))) {
      return absl::DataLossError("signal record unreadable");
    }
    if (signal.state() == v1::SIGNAL_STATE_DESTROYED ||
        !lifecycle::RetentionDue(LifetimeOf(signal), as_of)) {
      continue;
    }
    signal.clear_payload();
    due.push_back(std::move(signal));
  }
  if (!it->status().ok()) return FromRocksDbStatus(it->status(), "retention");
  return due;
}

absl::StatusOr<uint64_t> RocksSignalStore::RewrapPass(
    const std::string& current) {
  uint64_t total = 0;
  std::unique_ptr<rocksdb::Iterator> it(database_->db()->NewIterator(
      rocksdb::ReadOptions(), database_->data_keys()));
  it->SeekToFirst();
  while (it->Valid()) {
    std::vector<std::string> ids;
    for (; it->Valid() && ids.size() < 500; it->Next()) {
      v1::storage::WrappedDataKey key;
      if (!key.ParseFromArray(it->value().data(),
                              static_cast<int>(it->value().size())) ||
          key.kek_id() != current) {
        ids.push_back(it->key().ToString());
      }
    }
    if (ids.empty()) continue;
    std::promise<absl::StatusOr<uint64_t>> done;
    pipeline_.Enqueue(MakeRewrapMutation(
        keys_.get(), std::move(ids),
        [&done](absl::StatusOr<uint64_t> n) { done.set_value(std::move(n)); }));
    absl::StatusOr<uint64_t> rewrapped = done.get_future().get();
    if (!rewrapped.ok()) return rewrapped.status();
    total += *rewrapped;
  }
  if (!it->status().ok())
    return FromRocksDbStatus(it->status(), "rotate key-encryption key");
  return total;
}

absl::StatusOr<SignalStore::Rotation> RocksSignalStore::RotateKek() {
  Rotation rotation;
  absl::StatusOr<std::string> kek_id = keys_->Rotate();
  if (!kek_id.ok()) return kek_id.status();
  rotation.kek_id = *kek_id;
  // Every data key a commit writes from now on is under the new KEK, also
  // one sealed before the rotation and queued late (the commit re-wraps
  // it). Two passes: the second catches keys that groups in flight during
  // the rotation committed after the first pass had read past them.
  for (int pass = 0; pass < 2; ++pass) {
    absl::StatusOr<uint64_t> rewrapped = RewrapPass(rotation.kek_id);
    if (!rewrapped.ok()) return rewrapped.status();
    rotation.rewrapped += *rewrapped;
  }
  // Keys the data keys no longer use (new writes use the current one).
  absl::flat_hash_set<std::string> used = {rotation.kek_id};
  std::unique_ptr<rocksdb::Iterator> check(database_->db()->NewIterator(
      rocksdb::ReadOptions(), database_->data_keys()));
  for (check->SeekToFirst(); check->Valid(); check->Next()) {
    v1::storage::WrappedDataKey key;
    if (key.ParseFromArray(check->value().data(),
                           static_cast<int>(check->value().size())))
      used.insert(key.kek_id());
  }
  for (const std::string& id : keys_->ids()) {
    if (!used.contains(id)) rotation.unused_kek_ids.push_back(id);
  }
  return rotation;
}

}  // namespace

absl::StatusOr<SignalStore::BackupInfo> RestoreBackup(
    const std::string& backup_dir, const std::string& db_dir,
    absl::string_view public_key_pem) {
  std::error_code exists_error;
  if (std::filesystem::exists(db_dir, exists_error) || exists_error) {
    return absl::FailedPreconditionError(absl::StrCat(
        db_dir, " exists: restore only into a data folder without db/"));
  }
  absl::StatusOr<SignalStore::BackupInfo> backup =
      VerifyCopy(backup_dir, public_key_pem);  // never restore a bad copy
  if (!backup.ok()) return backup.status();
  std::error_code error;
  std::filesystem::create_directories(
      std::filesystem::path(db_dir).parent_path(), error);
  std::filesystem::copy(backup_dir, db_dir,
                        std::filesystem::copy_options::recursive, error);
  if (error) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot copy the backup to ", db_dir, ": ", error.message()));
  }
  KETENHUB_RETURN_IF_ERROR(MakePrivate(db_dir));
  return VerifyCopy(db_dir, public_key_pem);
}

absl::StatusOr<uint64_t> RekeySubjects(
    const std::string& db_path, const std::string& kek_dir,
    const std::function<absl::StatusOr<std::string>(const v1::Subject&)>&
        new_key,
    absl::string_view new_key_check) {
  absl::StatusOr<std::unique_ptr<KekRing>> keys =
      KekRing::OpenOrCreate(kek_dir);
  if (!keys.ok()) return keys.status();
  absl::StatusOr<std::unique_ptr<Database>> opened =
      Database::Open(db_path, keys->get());
  if (!opened.ok()) return opened.status();
  Database& db = **opened;
  uint64_t rekeyed = 0;
  rocksdb::WriteBatch batch;
  auto write = [&]() -> absl::Status {
    rocksdb::Status s = db.db()->Write(Database::SyncWrite(), &batch);
    batch.Clear();
    return FromRocksDbStatus(s, "re-key subjects");
  };
  std::unique_ptr<rocksdb::Iterator> it(
      db.db()->NewIterator(rocksdb::ReadOptions(), db.signals()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    StoredSignal signal;
    if (!signal.ParseFromArray(it->value().data(),
                               static_cast<int>(it->value().size()))) {
      return absl::DataLossError("signal record unreadable");
    }
    if (signal.state() == v1::SIGNAL_STATE_DESTROYED) continue;
    if (absl::Status s = db.Decrypt(signal); !s.ok()) return s;
    absl::StatusOr<std::string> key = new_key(signal.signal().subject());
    if (!key.ok()) return key.status();
    const std::string old_index =
        storage_keys::SubjectIndexKey(signal.subject_key(), signal.sequence());
    std::string entry;
    rocksdb::Status s = db.db()->Get(rocksdb::ReadOptions(), db.subject_index(),
                                     old_index, &entry);
    if (!s.ok()) return FromRocksDbStatus(s, "re-key subjects");
    batch.Delete(db.subject_index(), old_index);
    batch.Put(db.subject_index(),
              storage_keys::SubjectIndexKey(*key, signal.sequence()), entry);
    // The partner's newest-signal pointer moves too: signals come in
    // sequence order, so the last one put is the newest.
    batch.Delete(db.subject_partners(),
                 storage_keys::SubjectPartnerKey(signal.subject_key(),
                                                 signal.source_partner()));
    batch.Put(db.subject_partners(),
              storage_keys::SubjectPartnerKey(*key, signal.source_partner()),
              storage_keys::EncodeSequence(signal.sequence()));
    signal.set_subject_key(*key);
    batch.Put(db.signals(), it->key(),
              Database::StoredForm(signal).SerializeAsString());
    ++rekeyed;
    if (batch.Count() >= 1500) {
      if (absl::Status w = write(); !w.ok()) return w;
    }
  }
  if (!it->status().ok()) return FromRocksDbStatus(it->status(), "re-key");
  batch.Put(storage_keys::kPseudonymKeyCheckKey,
            rocksdb::Slice(new_key_check.data(), new_key_check.size()));
  if (absl::Status w = write(); !w.ok()) return w;
  return rekeyed;
}

namespace {

std::string RestoreKeksHint(const std::string& kek_dir) {
  return absl::StrCat(
      "restore ", kek_dir,
      " from its backup (operator guide, 'Keys'); the hub makes no new KEK "
      "over data it could then never read");
}

// Refuses to let KekRing make a first KEK in an empty `kek_dir` when the
// database at `db_path` already holds data keys: they need the old KEKs.
absl::Status RefuseNewKekOverData(const std::string& db_path,
                                  const std::string& kek_dir) {
  std::error_code error;
  if (!std::filesystem::exists(db_path + "/CURRENT", error)) return {};
  absl::StatusOr<std::vector<std::string>> entries = ListFolder(kek_dir);
  if (entries.ok()) {
    for (const std::string& entry : *entries) {
      if (absl::EndsWith(entry, ".key")) return {};
    }
  }
  // A store of a schema before the data keys (which the open upgrades, and
  // whose families a read-only open lacks) has none to lose.
  absl::StatusOr<std::unique_ptr<Database>> database =
      Database::OpenReadOnly(db_path);
  if (!database.ok()) return {};
  absl::StatusOr<std::vector<std::string>> wrapping =
      (*database)->SampleKekIds();
  if (!wrapping.ok()) return wrapping.status();
  if (wrapping->empty()) return {};
  return absl::FailedPreconditionError(
      absl::StrCat("keys/kek: no key-encryption key in ", kek_dir,
                   ", but this database's data keys are wrapped by ",
                   wrapping->front(), ": ", RestoreKeksHint(kek_dir)));
}

// FAILED_PRECONDITION naming the KEK when stored data keys are wrapped by
// one that is not in `keys`.
absl::Status CheckKeksPresent(const Database& database, const KekRing& keys,
                              const std::string& kek_dir) {
  absl::StatusOr<std::vector<std::string>> wrapping = database.SampleKekIds();
  if (!wrapping.ok()) return wrapping.status();
  const std::vector<std::string> present = keys.ids();
  for (const std::string& id : *wrapping) {
    if (std::find(present.begin(), present.end(), id) == present.end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "keys/kek: this database's data keys are wrapped by ", id,
          ", which is not in ", kek_dir, ": ", RestoreKeksHint(kek_dir)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SignalStore>> SignalStore::Open(
    const Options& options) {
  const std::string kek_dir =
      options.kek_dir.empty()
          ? (std::filesystem::path(options.path).parent_path() / "keys" / "kek")
                .string()
          : options.kek_dir;
  KETENHUB_RETURN_IF_ERROR(RefuseNewKekOverData(options.path, kek_dir));
  absl::StatusOr<std::unique_ptr<KekRing>> keys =
      KekRing::OpenOrCreate(kek_dir);
  if (!keys.ok()) return keys.status();
  absl::StatusOr<std::unique_ptr<Database>> database =
      Database::Open(options.path, keys->get(), options.env);
  if (!database.ok()) return database.status();
  KETENHUB_RETURN_IF_ERROR(CheckKeksPresent(**database, **keys, kek_dir));
  absl::StatusOr<uint64_t> next_sequence =
      (*database)->NextSequenceIn((*database)->signals());
  if (!next_sequence.ok()) return next_sequence.status();
  absl::StatusOr<uint64_t> next_cursor =
      (*database)->NextSequenceIn((*database)->events());
  if (!next_cursor.ok()) return next_cursor.status();
  absl::StatusOr<uint64_t> audit_size = (*database)->AuditSize();
  if (!audit_size.ok()) return audit_size.status();
  absl::StatusOr<merkle::Frontier> audit_tree = merkle::Frontier::Load(
      *audit_size, [db = database->get()](int level, uint64_t index) {
        return db->ReadAuditNode(level, index);
      });
  if (!audit_tree.ok()) return audit_tree.status();
  return std::make_unique<RocksSignalStore>(
      *std::move(keys), *std::move(database), options.max_group_size,
      *next_sequence, *next_cursor, *std::move(audit_tree));
}

std::string SignalContentHash(const v1::Signal& signal) {
  std::string bytes = ContentBytes(signal);
  std::string hash = ContentHash(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return hash;
}

}  // namespace ketenhub
