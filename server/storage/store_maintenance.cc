#include "server/storage/store_maintenance.h"

#include <filesystem>
#include <future>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "rocksdb/utilities/checkpoint.h"
#include "server/common/status_macros.h"
#include "server/storage/audit_verify.h"
#include "server/storage/keys.h"
#include "server/storage/rocksdb_status.h"
#include "server/storage/signal_lifetime.h"
#include "server/storage/signal_mutations.h"
#include "server/storage/signal_store.h"
#include "server/storage/store_internal.h"
#include "server/storage/worklist.h"

namespace ketenhub {
namespace {

using v1::storage::StoredSignal;

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

// Counts a copy's signals and verifies its audit trail.
absl::StatusOr<StoreMaintenance::BackupInfo> VerifyCopy(
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
  StoreMaintenance::BackupInfo info;
  KETENHUB_RETURN_IF_ERROR(
      (*database)->ScanBytes(Family::kSignals, "", "count signals",
                             [&info](absl::string_view, absl::string_view) {
                               ++info.signals;
                               return ScanStep::kContinue;
                             }));
  info.audit_records = audit->records;
  info.audit_root = audit->root;
  return info;
}

class RocksStoreMaintenance final : public StoreMaintenance {
 public:
  explicit RocksStoreMaintenance(StoreCore& core) : core_(core) {}

  bool StorageWritable() const override {
    return !core_.pipeline().last_write_failed();
  }

  absl::Status ProbeStorage() override {
    rocksdb::DB* db = core_.database().db();
    rocksdb::Status s = db->Resume();
    if (s.ok()) {
      s = db->Put(Database::SyncWrite(), storage_keys::kStorageProbeKey,
                  absl::FormatTime(absl::Now()));
    }
    if (!s.ok()) return absl::UnavailableError(s.ToString());
    core_.pipeline().ClearWriteFailure();
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<StoredSignal>> DueSignals(
      absl::Time as_of) const override {
    std::vector<StoredSignal> due;
    KETENHUB_RETURN_IF_ERROR(core_.database().Scan<StoredSignal>(
        Family::kSignals, "", "retention",
        [&](absl::string_view, StoredSignal& signal) {
          if (signal.state() != v1::SIGNAL_STATE_DESTROYED &&
              lifecycle::RetentionDue(LifetimeOf(signal), as_of)) {
            signal.clear_payload();
            due.push_back(std::move(signal));
          }
          return ScanStep::kContinue;
        }));
    return due;
  }

  void Destroy(DestroyCommand command, DestroyCallback done) override {
    core_.pipeline().Enqueue(MakeDestroyMutation(
        std::move(command),
        [this, done = std::move(done)](
            absl::StatusOr<std::vector<StoredSignal>> destroyed) mutable {
          if (destroyed.ok() && !destroyed->empty()) core_.FlushSoon();
          std::move(done)(std::move(destroyed));
        }));
  }

  absl::StatusOr<Rotation> RotateKek() override;

  absl::StatusOr<BackupInfo> Backup(
      const std::string& dir, absl::string_view public_key_pem) const override;

  absl::Status BindPseudonymKey(absl::string_view key_check) override;

  absl::StatusOr<std::vector<std::string>> MissingKekIds() const override {
    absl::StatusOr<std::vector<std::string>> wrapping =
        core_.database().SampleKekIds();
    if (!wrapping.ok()) return wrapping.status();
    absl::StatusOr<std::vector<std::string>> lost =
        core_.database().LostKekIds();
    if (!lost.ok()) return lost.status();
    std::vector<std::string> present = core_.keys().ids();
    present.insert(present.end(), lost->begin(), lost->end());
    std::vector<std::string> missing;
    for (const std::string& id : *wrapping) {
      if (std::find(present.begin(), present.end(), id) == present.end() &&
          std::find(missing.begin(), missing.end(), id) == missing.end()) {
        missing.push_back(id);
      }
    }
    return missing;
  }

  absl::Status AcceptLostKeks(const std::vector<std::string>& ids) override {
    absl::StatusOr<std::vector<std::string>> lost =
        core_.database().LostKekIds();
    if (!lost.ok()) return lost.status();
    lost->insert(lost->end(), ids.begin(), ids.end());
    return FromRocksDbStatus(
        core_.database().db()->Put(Database::SyncWrite(),
                                   storage_keys::kLostKeksKey,
                                   absl::StrJoin(*lost, ",")),
        "record lost KEKs");
  }

  std::vector<std::string> KekIds() const override {
    std::vector<std::string> ids = {core_.keys().current_id()};
    for (std::string& id : core_.keys().ids()) {
      if (id != ids.front()) ids.push_back(std::move(id));
    }
    return ids;
  }

 private:
  // Re-wraps every data key not under `current`; returns how many.
  absl::StatusOr<uint64_t> RewrapPass(const std::string& current);

  StoreCore& core_;
};

absl::StatusOr<uint64_t> RocksStoreMaintenance::RewrapPass(
    const std::string& current) {
  uint64_t total = 0;
  std::vector<std::string> ids;
  // Re-wraps `ids` through the pipeline, waiting for the commit.
  auto rewrap = [&]() -> absl::Status {
    std::promise<absl::StatusOr<uint64_t>> done;
    core_.pipeline().Enqueue(MakeRewrapMutation(
        &core_.keys(), std::move(ids),
        [&done](absl::StatusOr<uint64_t> n) { done.set_value(std::move(n)); }));
    ids.clear();
    absl::StatusOr<uint64_t> rewrapped = done.get_future().get();
    if (!rewrapped.ok()) return rewrapped.status();
    total += *rewrapped;
    return absl::OkStatus();
  };
  absl::Status rewrapping;
  KETENHUB_RETURN_IF_ERROR(core_.database().Scan<v1::storage::WrappedDataKey>(
      Family::kDataKeys, "", "rotate key-encryption key",
      [&](absl::string_view signal_id, v1::storage::WrappedDataKey& key) {
        if (key.kek_id() != current) ids.emplace_back(signal_id);
        if (ids.size() < 500) return ScanStep::kContinue;
        rewrapping = rewrap();
        return rewrapping.ok() ? ScanStep::kContinue : ScanStep::kStop;
      }));
  KETENHUB_RETURN_IF_ERROR(rewrapping);
  if (!ids.empty()) KETENHUB_RETURN_IF_ERROR(rewrap());
  return total;
}

absl::StatusOr<StoreMaintenance::Rotation> RocksStoreMaintenance::RotateKek() {
  Rotation rotation;
  absl::StatusOr<std::string> kek_id = core_.keys().Rotate();
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
  KETENHUB_RETURN_IF_ERROR(core_.database().Scan<v1::storage::WrappedDataKey>(
      Family::kDataKeys, "", "rotate key-encryption key",
      [&used](absl::string_view, v1::storage::WrappedDataKey& key) {
        used.insert(key.kek_id());
        return ScanStep::kContinue;
      }));
  for (const std::string& id : core_.keys().ids()) {
    if (!used.contains(id)) rotation.unused_kek_ids.push_back(id);
  }
  return rotation;
}

absl::StatusOr<StoreMaintenance::BackupInfo> RocksStoreMaintenance::Backup(
    const std::string& dir, absl::string_view public_key_pem) const {
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
      rocksdb::Checkpoint::Create(core_.database().db(), &checkpoint);
  std::unique_ptr<rocksdb::Checkpoint> owned(checkpoint);
  if (s.ok()) s = checkpoint->CreateCheckpoint(dir);
  if (!s.ok()) return FromRocksDbStatus(s, "backup");
  KETENHUB_RETURN_IF_ERROR(MakePrivate(dir));
  return VerifyCopy(dir, public_key_pem);
}

absl::Status RocksStoreMaintenance::BindPseudonymKey(
    absl::string_view key_check) {
  rocksdb::DB* db = core_.database().db();
  std::string stored;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(),
                              storage_keys::kPseudonymKeyCheckKey, &stored);
  if (s.IsNotFound()) {
    return FromRocksDbStatus(
        db->Put(Database::SyncWrite(), storage_keys::kPseudonymKeyCheckKey,
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

}  // namespace

std::unique_ptr<StoreMaintenance> MakeStoreMaintenance(StoreCore& core) {
  return std::make_unique<RocksStoreMaintenance>(core);
}

absl::StatusOr<StoreMaintenance::BackupInfo> RestoreBackup(
    const std::string& backup_dir, const std::string& db_dir,
    absl::string_view public_key_pem) {
  std::error_code exists_error;
  if (std::filesystem::exists(db_dir, exists_error) || exists_error) {
    return absl::FailedPreconditionError(absl::StrCat(
        db_dir, " exists: restore only into a data folder without db/"));
  }
  absl::StatusOr<StoreMaintenance::BackupInfo> backup =
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

absl::Status RecordOffline(const std::string& db_path,
                           const std::string& kek_dir, v1::AuditRecord record,
                           std::shared_ptr<Pkcs11Token> token) {
  absl::StatusOr<std::unique_ptr<SignalStore>> store = SignalStore::Open(
      {.path = db_path, .kek_dir = kek_dir, .token = std::move(token)});
  if (!store.ok()) return store.status();
  std::promise<absl::Status> written;
  std::vector<v1::AuditRecord> records;
  records.push_back(std::move(record));
  (*store)->audit().Record(std::move(records), [&written](absl::Status s) {
    written.set_value(std::move(s));
  });
  absl::Status status = written.get_future().get();
  (*store)->Close();
  return status;
}

namespace {

// Puts into `batch` the moves that give `signal` (decrypted) the subject key
// `key`: its subject index entry, its partner's newest-signal pointer and
// its record and worklist entries.
absl::Status RekeyOne(const Database& db, absl::string_view record_key,
                      StoredSignal& signal, const std::string& key,
                      std::vector<v1::storage::IdentifierKey> identifier_keys,
                      rocksdb::WriteBatch& batch) {
  const std::string old_index =
      storage_keys::SubjectIndexKey(signal.subject_key(), signal.sequence());
  std::string entry;
  rocksdb::Status s = db.db()->Get(rocksdb::ReadOptions(), db.subject_index(),
                                   old_index, &entry);
  if (!s.ok()) return FromRocksDbStatus(s, "re-key subjects");
  batch.Delete(db.subject_index(), old_index);
  batch.Put(db.subject_index(),
            storage_keys::SubjectIndexKey(key, signal.sequence()), entry);
  // Under the weak identifiers: out from the old keys, in under the new
  // ones, naming the new subject key.
  for (const v1::storage::IdentifierKey& old_key : signal.identifier_keys()) {
    batch.Delete(db.subject_index(), storage_keys::SubjectIndexKey(
                                         old_key.key(), signal.sequence()));
  }
  v1::storage::SubjectIndexEntry weak;
  if (!weak.ParseFromString(entry))
    return absl::DataLossError("re-key subjects: unreadable index entry");
  weak.set_subject_key(key);
  signal.clear_identifier_keys();
  for (v1::storage::IdentifierKey& new_key : identifier_keys) {
    batch.Put(db.subject_index(),
              storage_keys::SubjectIndexKey(new_key.key(), signal.sequence()),
              weak.SerializeAsString());
    *signal.add_identifier_keys() = std::move(new_key);
  }
  // The partner's newest-signal pointer moves too: signals come in
  // sequence order, so the last one put is the newest.
  batch.Delete(db.subject_partners(),
               storage_keys::SubjectPartnerKey(signal.subject_key(),
                                               signal.source_partner()));
  batch.Put(db.subject_partners(),
            storage_keys::SubjectPartnerKey(key, signal.source_partner()),
            storage_keys::EncodeSequence(signal.sequence()));
  signal.set_subject_key(key);
  batch.Put(db.signals(), rocksdb::Slice(record_key.data(), record_key.size()),
            Database::StoredForm(signal).SerializeAsString());
  PutWorklistEntries(db, signal, batch);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<uint64_t> RekeySubjects(
    const std::string& db_path, const std::string& kek_dir,
    const std::function<absl::StatusOr<std::string>(const v1::Subject&)>&
        new_key,
    absl::string_view new_key_check,
    const std::function<std::vector<v1::storage::IdentifierKey>(
        const v1::Subject&)>& new_identifier_keys) {
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
  absl::Status failed;
  // First the persons named by BSN or name: their new keys, by old key. A
  // signal of weak identifiers alone that a confirmed match linked to such
  // a person follows it; one that stands for nobody keeps its random key
  // (no pseudonym key made it).
  absl::flat_hash_map<std::string, std::string> moved;
  KETENHUB_RETURN_IF_ERROR(db.Scan<StoredSignal>(
      Family::kSignals, "", "re-key subjects",
      [&](absl::string_view, StoredSignal& signal) {
        if (signal.state() == v1::SIGNAL_STATE_DESTROYED ||
            signal.person_unknown()) {
          return ScanStep::kContinue;
        }
        failed = db.Decrypt(signal);
        if (!failed.ok()) return ScanStep::kStop;
        absl::StatusOr<std::string> key = new_key(signal.signal().subject());
        if (!key.ok()) {
          failed = key.status();
          return ScanStep::kStop;
        }
        moved[signal.subject_key()] = *std::move(key);
        return ScanStep::kContinue;
      }));
  KETENHUB_RETURN_IF_ERROR(failed);
  KETENHUB_RETURN_IF_ERROR(db.Scan<StoredSignal>(
      Family::kSignals, "", "re-key subjects",
      [&](absl::string_view record_key, StoredSignal& signal) {
        if (signal.state() == v1::SIGNAL_STATE_DESTROYED)
          return ScanStep::kContinue;
        failed = db.Decrypt(signal);
        if (!failed.ok()) return ScanStep::kStop;
        const v1::Subject& subject = signal.signal().subject();
        auto linked = moved.find(signal.subject_key());
        absl::StatusOr<std::string> key =
            linked != moved.end()
                ? absl::StatusOr<std::string>(linked->second)
                : absl::StatusOr<std::string>(signal.subject_key());
        failed = key.ok()
                     ? RekeyOne(db, record_key, signal, *key,
                                new_identifier_keys
                                    ? new_identifier_keys(subject)
                                    : std::vector<v1::storage::IdentifierKey>(),
                                batch)
                     : key.status();
        if (!failed.ok()) return ScanStep::kStop;
        ++rekeyed;
        if (batch.Count() >= 1500) failed = write();
        return failed.ok() ? ScanStep::kContinue : ScanStep::kStop;
      }));
  KETENHUB_RETURN_IF_ERROR(failed);
  batch.Put(storage_keys::kPseudonymKeyCheckKey,
            rocksdb::Slice(new_key_check.data(), new_key_check.size()));
  KETENHUB_RETURN_IF_ERROR(write());
  return rekeyed;
}

}  // namespace ketenhub
