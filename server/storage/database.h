#ifndef KETENHUB_SERVER_STORAGE_DATABASE_H_
#define KETENHUB_SERVER_STORAGE_DATABASE_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "ketenhub/v1/audit.pb.h"
#include "ketenhub/v1/storage.pb.h"
#include "rocksdb/db.h"
#include "server/crypto/kek_ring.h"
#include "server/storage/keys.h"

namespace ketenhub {

// What a scan's visitor asks for next.
enum class ScanStep { kContinue, kStop };

// The hub's RocksDB instance with its column families (storage_keys). Internal
// to the storage layer. Thread-safe as rocksdb::DB is.
class Database {
 public:
  // Opens or creates the database at `path` with paranoid checks, and checks
  // the on-disk schema version. FAILED_PRECONDITION for a foreign schema
  // version, DATA_LOSS for corruption, UNAVAILABLE for I/O trouble.
  // `key_ring` must outlive the database; without one, content can be
  // neither sealed nor read (tools that only inspect records). A version 3
  // database is upgraded: its signals are encrypted.
  static absl::StatusOr<std::unique_ptr<Database>> Open(
      const std::string& path, const KekRing* key_ring = nullptr,
      rocksdb::Env* env = nullptr);
  // Opens an existing database read-only (e.g. a copy, to verify).
  static absl::StatusOr<std::unique_ptr<Database>> OpenReadOnly(
      const std::string& path);

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  rocksdb::DB* db() const { return db_.get(); }
  // The handle of `family`; null only for a family a read-only open of an
  // older store does not have (FamilySpec::added_later).
  rocksdb::ColumnFamilyHandle* handle(Family family) const {
    return handles_[static_cast<size_t>(family)];
  }
  rocksdb::ColumnFamilyHandle* signals() const {
    return handle(Family::kSignals);
  }
  rocksdb::ColumnFamilyHandle* signal_ids() const {
    return handle(Family::kSignalIds);
  }
  rocksdb::ColumnFamilyHandle* idempotency() const {
    return handle(Family::kIdempotency);
  }
  rocksdb::ColumnFamilyHandle* subject_index() const {
    return handle(Family::kSubjectIndex);
  }
  rocksdb::ColumnFamilyHandle* events() const {
    return handle(Family::kEvents);
  }
  rocksdb::ColumnFamilyHandle* cursors() const {
    return handle(Family::kCursors);
  }
  rocksdb::ColumnFamilyHandle* audit() const { return handle(Family::kAudit); }
  rocksdb::ColumnFamilyHandle* audit_tree() const {
    return handle(Family::kAuditTree);
  }
  rocksdb::ColumnFamilyHandle* audit_index() const {
    return handle(Family::kAuditIndex);
  }
  rocksdb::ColumnFamilyHandle* audit_checkpoints() const {
    return handle(Family::kAuditCheckpoints);
  }
  rocksdb::ColumnFamilyHandle* data_keys() const {
    return handle(Family::kDataKeys);
  }
  rocksdb::ColumnFamilyHandle* subject_partners() const {
    return handle(Family::kSubjectPartners);
  }

  // Visits the records of `family` in key order from the first key >= `from`
  // (empty: the first record), each value parsed as `Record`, until `visit`
  // answers kStop. DATA_LOSS "<what>: a record is unreadable" when a value
  // does not parse; RocksDB's trouble as FromRocksDbStatus(…, what).
  template <typename Record>
  absl::Status Scan(
      Family family, absl::string_view from, absl::string_view what,
      absl::FunctionRef<ScanStep(absl::string_view key, Record& record)> visit)
      const {
    return ScanBytes(family, from, what,
                     [&](absl::string_view key,
                         absl::string_view value) -> absl::StatusOr<ScanStep> {
                       Record record;
                       if (!record.ParseFromArray(
                               value.data(), static_cast<int>(value.size()))) {
                         return absl::DataLossError(
                             absl::StrCat(what, ": a record is unreadable"));
                       }
                       return visit(key, record);
                     });
  }
  // Scan without parsing; `visit` may fail the scan.
  absl::Status ScanBytes(Family family, absl::string_view from,
                         absl::string_view what,
                         absl::FunctionRef<absl::StatusOr<ScanStep>(
                             absl::string_view key, absl::string_view value)>
                             visit) const;

  // Wraps and unwraps data keys; null for a read-only open.
  const KekRing* key_ring() const { return key_ring_; }

  // The signal `signal_id` with its content decrypted into `signal`; NOT_FOUND
  // when there is none, DATA_LOSS when its content fails the integrity check
  // or its data key is gone (never served), FAILED_PRECONDITION when its KEK
  // is not in the key dir. A destroyed signal comes back as its tombstone.
  absl::StatusOr<v1::storage::StoredSignal> ReadSignal(
      absl::string_view signal_id, bool decrypt = true) const;
  // ReadSignal for many signals at once, one result per id in that order;
  // batched lookups (RocksDB MultiGet), so signals near each other in
  // sequence share their block reads.
  std::vector<absl::StatusOr<v1::storage::StoredSignal>> ReadSignals(
      absl::Span<const std::string> ids) const;
  // As ReadSignal, for a record read from the signals family.
  absl::Status Decrypt(v1::storage::StoredSignal& stored) const;
  // The stored form of `signal` (content in `payload`, `signal` reduced to
  // client_ref, category and urgency).
  static v1::storage::StoredSignal StoredForm(
      const v1::storage::StoredSignal& signal);
  // The subject index entries of `subject_key`, by sequence.
  absl::StatusOr<std::map<uint64_t, v1::storage::SubjectIndexEntry>>
  SubjectEntries(absl::string_view subject_key) const;
  // The subject index entry (subject_key, sequence), or nullopt.
  absl::StatusOr<std::optional<v1::storage::SubjectIndexEntry>>
  ReadSubjectEntry(absl::string_view subject_key, uint64_t sequence) const;
  // The sequence of `partner_id`'s newest signal about `subject_key` as
  // subject_partners holds it, or nullopt.
  absl::StatusOr<std::optional<uint64_t>> ReadNewestOfPartner(
      absl::string_view subject_key, absl::string_view partner_id) const;
  // The KEK ids that wrap the first and the last stored data key (signal
  // ids are random, so these are two samples; after a completed rotation
  // every key is under one KEK). Empty when there are no data keys.
  absl::StatusOr<std::vector<std::string>> SampleKekIds() const;
  // The KEK ids the operator declared lost (kLostKeksKey); empty if none.
  absl::StatusOr<std::vector<std::string>> LostKekIds() const;
  // The stored checkpoint of the largest tree, or nullopt when none is.
  absl::StatusOr<std::optional<v1::SignedCheckpoint>> LastCheckpoint() const;
  // Whether an idempotency record is stored under `key` (false also when it
  // cannot be read: the caller then does the full work).
  bool HasIdempotency(absl::string_view key) const;
  // The subscriber's acked cursor; 0 when it never acked.
  absl::StatusOr<uint64_t> ReadAckedCursor(absl::string_view subscriber) const;
  // One past the last key of `family` (keys are EncodeSequence); 1 if empty.
  absl::StatusOr<uint64_t> NextSequenceIn(
      rocksdb::ColumnFamilyHandle* family) const;

  // Flushes every column family's memtable to SST files, so the write-ahead
  // log can go; with `wait` false it only starts the flush.
  absl::Status FlushAll(bool wait);

  // The number of audit records.
  absl::StatusOr<uint64_t> AuditSize() const;
  // A stored perfect Merkle subtree; DATA_LOSS when missing.
  absl::StatusOr<std::string> ReadAuditNode(int level, uint64_t index) const;

  static rocksdb::WriteOptions SyncWrite();  // fsync before return

 private:
  // Opens `stored`'s payload with the data key read as `value` (status `s`).
  absl::Status OpenWithDataKey(v1::storage::StoredSignal& stored,
                               const rocksdb::Status& s,
                               absl::string_view value) const;
  Database() = default;
  static absl::StatusOr<std::unique_ptr<Database>> OpenWith(
      const std::string& path, const KekRing* key_ring, rocksdb::Env* env,
      bool read_only);
  // Schema versions and their upgrades (schema_upgrade.cc).
  absl::Status CheckSchemaVersion();
  absl::Status EncryptStoredSignals();
  // Fills the worklist family from the signals unless kWorklistBuiltKey
  // says it was (a store from before it).
  absl::Status BuildWorklistOnce();

  std::unique_ptr<rocksdb::DB> db_;
  bool read_only_ = false;
  const KekRing* key_ring_ = nullptr;
  // Owned; indexed by Family.
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_DATABASE_H_
