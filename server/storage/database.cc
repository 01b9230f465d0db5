#include "server/storage/database.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "server/common/json_log.h"
#include "server/storage/keys.h"
#include "server/storage/payload_cipher.h"
#include "server/storage/rocksdb_status.h"

namespace ketenhub {
namespace {

constexpr uint64_t kShredCompactionSeconds = 24 * 60 * 60;

// Memory, whatever the size of the store: the memtables of all column
// families together, and one block cache for the data blocks of all, so the
// hub's resident size stays bounded as it fills.
constexpr size_t kMemtableBudgetBytes = size_t{128} << 20;
constexpr size_t kBlockCacheBytes = size_t{64} << 20;
// The write-ahead log is cut (the oldest memtables flushed) at this size, so
// a start after a crash replays at most this much.
constexpr uint64_t kMaxWalBytes = uint64_t{256} << 20;

// Families whose values are ciphertext: compressing them only costs time.
bool IsEncrypted(absl::string_view family) {
  return family == storage_keys::kSignals || family == storage_keys::kDataKeys;
}

// Families read by point lookups that often miss (a new client_ref) or hit
// one key among millions: a Bloom filter spares the SST reads.
bool HasPointLookups(absl::string_view family) {
  return family == storage_keys::kIdempotency ||
         family == storage_keys::kSignalIds ||
         family == storage_keys::kDataKeys ||
         family == storage_keys::kCursors ||
         family == storage_keys::kSubjectPartners;
}

// Whether the database at `path` has the column family `name`.
bool HasFamily(const std::string& path, absl::string_view name) {
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names)
           .ok()) {
    return true;  // let the open report what is wrong
  }
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

absl::Status Database::CheckSchemaVersion() {
  std::string version;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(),
                               storage_keys::kSchemaVersionKey, &version);
  if (s.IsNotFound()) {
    s = db_->Put(SyncWrite(), storage_keys::kSchemaVersionKey,
                 storage_keys::kSchemaVersion);
    return FromRocksDbStatus(s, "write schema version");
  }
  if (!s.ok()) return FromRocksDbStatus(s, "read schema version");
  if (version == storage_keys::kPreviousSchemaVersion) {
    if (absl::Status encrypted = EncryptStoredSignals(); !encrypted.ok())
      return encrypted;
    s = db_->Put(SyncWrite(), storage_keys::kSchemaVersionKey,
                 storage_keys::kSchemaVersion);
    LogEvent(LogLevel::kInfo, "schema_upgraded",
             {{"from", version}, {"to", storage_keys::kSchemaVersion}});
    return FromRocksDbStatus(s, "upgrade schema version");
  }
  if (version != storage_keys::kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data has schema version ", version, "; this hub reads version ",
        storage_keys::kSchemaVersion));
  }
  return absl::OkStatus();
}

// Version 3 stored signal content in clear: seal each one, in batches.
absl::Status Database::EncryptStoredSignals() {
  if (key_ring_ == nullptr)
    return absl::FailedPreconditionError("upgrade: no key-encryption key");
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), signals()));
  rocksdb::WriteBatch batch;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    v1::storage::StoredSignal signal;
    if (!signal.ParseFromArray(it->value().data(),
                               static_cast<int>(it->value().size()))) {
      return absl::DataLossError("signal record unreadable");
    }
    if (signal.has_payload()) continue;
    absl::StatusOr<v1::storage::WrappedDataKey> key =
        SealPayload(*key_ring_, signal);
    if (!key.ok()) return key.status();
    batch.Put(data_keys(), signal.signal_id(), key->SerializeAsString());
    batch.Put(signals(), it->key(), StoredForm(signal).SerializeAsString());
    if (batch.Count() >= 1000) {
      rocksdb::Status s = db_->Write(SyncWrite(), &batch);
      if (!s.ok()) return FromRocksDbStatus(s, "encrypt stored signals");
      batch.Clear();
    }
  }
  if (!it->status().ok())
    return FromRocksDbStatus(it->status(), "encrypt stored signals");
  return FromRocksDbStatus(db_->Write(SyncWrite(), &batch),
                           "encrypt stored signals");
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(
    const std::string& path, const KekRing* key_ring, rocksdb::Env* env) {
  return OpenWith(path, key_ring, env, /*read_only=*/false);
}

absl::StatusOr<std::unique_ptr<Database>> Database::OpenReadOnly(
    const std::string& path) {
  return OpenWith(path, nullptr, nullptr, /*read_only=*/true);
}

absl::StatusOr<std::unique_ptr<Database>> Database::OpenWith(
    const std::string& path, const KekRing* key_ring, rocksdb::Env* env,
    bool read_only) {
  rocksdb::DBOptions options;
  options.create_if_missing = !read_only;
  options.create_missing_column_families = !read_only;
  options.paranoid_checks = true;
  // Every acknowledged write was synced, so only a torn last record may be
  // skipped; damage anywhere else refuses the open instead of replaying up
  // to it and dropping the acknowledged writes behind it.
  options.wal_recovery_mode =
      rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  options.keep_log_file_num = 5;
  options.db_write_buffer_size = kMemtableBudgetBytes;
  options.max_total_wal_size = kMaxWalBytes;
  std::shared_ptr<rocksdb::Cache> cache =
      rocksdb::NewLRUCache(kBlockCacheBytes);
  if (env != nullptr) options.env = env;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const char* name :
       {rocksdb::kDefaultColumnFamilyName.c_str(), storage_keys::kSignals,
        storage_keys::kSignalIds, storage_keys::kIdempotency,
        storage_keys::kSubjectIndex, storage_keys::kEvents,
        storage_keys::kCursors, storage_keys::kAudit, storage_keys::kAuditTree,
        storage_keys::kAuditIndex, storage_keys::kAuditCheckpoints,
        storage_keys::kDataKeys, storage_keys::kSubjectPartners}) {
    // A read-only open cannot create a family; one added later (the last)
    // may be missing from a store no hub of this version has opened yet.
    if (read_only && name == std::string_view(storage_keys::kSubjectPartners) &&
        !HasFamily(path, name)) {
      continue;
    }
    rocksdb::ColumnFamilyOptions family;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = cache;
    // Index and filter blocks stay with their open SST files rather than in
    // the cache: evicted, every lookup would read and decompress them again
    // (measured: the commit thread spent half its time so at 1M signals).
    // 16 KiB blocks keep the indexes small.
    table.block_size = 16 * 1024;
    if (IsEncrypted(name)) family.compression = rocksdb::kNoCompression;
    if (name == std::string_view(storage_keys::kSubjectIndex)) {
      // Matching asks whether a person has earlier entries; most have none.
      // A Bloom filter on the subject key (the first kSubjectKeyBytes of
      // every entry's key) answers that without reading each SST file.
      family.prefix_extractor.reset(
          rocksdb::NewFixedPrefixTransform(storage_keys::kSubjectKeyBytes));
      family.memtable_prefix_bloom_size_ratio = 0.02;
      table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
      table.whole_key_filtering = false;
    }
    if (HasPointLookups(name)) {
      table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
      family.memtable_whole_key_filtering = true;
      family.memtable_prefix_bloom_size_ratio = 0.02;
    }
    family.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    // Deleted data keys and content leave the SST files within a day
    // (crypto-shredding), whatever the write volume.
    family.periodic_compaction_seconds = kShredCompactionSeconds;
    families.emplace_back(name, family);
  }
  std::unique_ptr<Database> database(new Database());
  rocksdb::DB* db = nullptr;
  rocksdb::Status s =
      read_only ? rocksdb::DB::OpenForReadOnly(options, path, families,
                                               &database->handles_, &db)
                : rocksdb::DB::Open(options, path, families,
                                    &database->handles_, &db);
  if (!s.ok()) return FromRocksDbStatus(s, "open database");
  database->db_.reset(db);
  database->read_only_ = read_only;
  database->key_ring_ = key_ring;
  if (read_only) return database;
  if (absl::Status schema = database->CheckSchemaVersion(); !schema.ok())
    return schema;
  return database;
}

Database::~Database() {
  if (!db_) return;
  if (!read_only_) {
    // Memtables to SST files: the next start (or a verification of a copy)
    // need not replay the write-ahead log. Best effort: the WAL has it all.
    (void)FlushAll(/*wait=*/true);
  }
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    db_->DestroyColumnFamilyHandle(handle);
  }
  db_->Close();
}

absl::StatusOr<v1::storage::StoredSignal> Database::ReadSignal(
    absl::string_view signal_id, bool decrypt) const {
  const absl::Status not_found =
      absl::NotFoundError("signal_id: no such signal");
  std::string sequence_key;
  rocksdb::Status s = db_->Get(
      rocksdb::ReadOptions(), signal_ids(),
      rocksdb::Slice(signal_id.data(), signal_id.size()), &sequence_key);
  if (s.IsNotFound()) return not_found;
  if (!s.ok()) return FromRocksDbStatus(s, "read signal");
  std::string value;
  s = db_->Get(rocksdb::ReadOptions(), signals(), sequence_key, &value);
  if (s.IsNotFound()) return not_found;
  if (!s.ok()) return FromRocksDbStatus(s, "read signal");
  v1::storage::StoredSignal stored;
  if (!stored.ParseFromString(value))
    return absl::DataLossError("signal record unreadable");
  if (!decrypt) return stored;
  if (absl::Status decrypted = Decrypt(stored); !decrypted.ok())
    return decrypted;
  return stored;
}

std::vector<absl::StatusOr<v1::storage::StoredSignal>> Database::ReadSignals(
    absl::Span<const std::string> ids) const {
  const size_t n = ids.size();
  std::vector<absl::StatusOr<v1::storage::StoredSignal>> out(
      n, absl::NotFoundError("signal_id: no such signal"));
  if (n == 0) return out;
  auto multi_get = [&](rocksdb::ColumnFamilyHandle* family,
                       const std::vector<rocksdb::Slice>& keys,
                       std::vector<rocksdb::PinnableSlice>& values,
                       std::vector<rocksdb::Status>& statuses) {
    values.resize(keys.size());
    statuses.resize(keys.size());
    db_->MultiGet(rocksdb::ReadOptions(), family, keys.size(), keys.data(),
                  values.data(), statuses.data());
  };
  std::vector<rocksdb::Slice> id_keys;
  id_keys.reserve(n);
  for (const std::string& id : ids) id_keys.emplace_back(id);
  std::vector<rocksdb::PinnableSlice> sequences;
  std::vector<rocksdb::Status> statuses;
  multi_get(signal_ids(), id_keys, sequences, statuses);
  std::vector<size_t> found;  // positions with a sequence
  std::vector<rocksdb::Slice> sequence_keys;
  for (size_t i = 0; i < n; ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) {
      out[i] = FromRocksDbStatus(statuses[i], "read signal");
      continue;
    }
    found.push_back(i);
    sequence_keys.emplace_back(sequences[i]);
  }
  std::vector<rocksdb::PinnableSlice> records;
  multi_get(signals(), sequence_keys, records, statuses);
  std::vector<size_t> sealed;  // positions that need their data key
  std::vector<rocksdb::Slice> key_ids;
  for (size_t k = 0; k < found.size(); ++k) {
    const size_t i = found[k];
    if (statuses[k].IsNotFound()) continue;
    if (!statuses[k].ok()) {
      out[i] = FromRocksDbStatus(statuses[k], "read signal");
      continue;
    }
    v1::storage::StoredSignal stored;
    if (!stored.ParseFromArray(records[k].data(),
                               static_cast<int>(records[k].size()))) {
      out[i] = absl::DataLossError("signal record unreadable");
      continue;
    }
    out[i] = std::move(stored);
    if (out[i]->has_payload()) {
      sealed.push_back(i);
      key_ids.emplace_back(ids[i]);
    }
  }
  if (!sealed.empty() && key_ring_ == nullptr) {
    for (size_t i : sealed)
      out[i] = absl::FailedPreconditionError("no key ring: opened read-only");
    return out;
  }
  std::vector<rocksdb::PinnableSlice> keys;
  multi_get(data_keys(), key_ids, keys, statuses);
  for (size_t k = 0; k < sealed.size(); ++k) {
    absl::StatusOr<v1::storage::StoredSignal>& signal = out[sealed[k]];
    absl::Status opened =
        OpenWithDataKey(*signal, statuses[k],
                        absl::string_view(keys[k].data(), keys[k].size()));
    if (!opened.ok()) signal = opened;
  }
  return out;
}

absl::Status Database::Decrypt(v1::storage::StoredSignal& stored) const {
  if (!stored.has_payload()) return absl::OkStatus();  // a tombstone
  if (key_ring_ == nullptr)
    return absl::FailedPreconditionError("no key ring: opened read-only");
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), data_keys(), stored.signal_id(), &value);
  return OpenWithDataKey(stored, s, value);
}

absl::Status Database::OpenWithDataKey(v1::storage::StoredSignal& stored,
                                       const rocksdb::Status& s,
                                       absl::string_view value) const {
  absl::Status status;
  v1::storage::WrappedDataKey key;
  if (s.IsNotFound() ||
      (s.ok() &&
       !key.ParseFromArray(value.data(), static_cast<int>(value.size())))) {
    status = absl::DataLossError(absl::StrCat("signal ", stored.signal_id(),
                                              ": its data key is missing"));
  } else if (!s.ok()) {
    return FromRocksDbStatus(s, "read data key");
  } else {
    status = OpenPayload(*key_ring_, key, stored);
  }
  if (absl::IsDataLoss(status)) {
    LogEvent(LogLevel::kError, "signal_integrity_failed",
             {{"signal_id", stored.signal_id()}});
  }
  return status;
}

v1::storage::StoredSignal Database::StoredForm(
    const v1::storage::StoredSignal& signal) {
  v1::storage::StoredSignal stored = signal;
  v1::Signal* metadata = stored.mutable_signal();
  metadata->Clear();
  metadata->set_client_ref(signal.signal().client_ref());
  metadata->set_category(signal.signal().category());
  metadata->set_urgency(signal.signal().urgency());
  return stored;
}

absl::StatusOr<std::map<uint64_t, v1::storage::SubjectIndexEntry>>
Database::SubjectEntries(absl::string_view subject_key) const {
  std::map<uint64_t, v1::storage::SubjectIndexEntry> entries;
  const rocksdb::Slice prefix(subject_key.data(), subject_key.size());
  // Prefix mode (the default with a prefix extractor): the Bloom filters
  // skip SST files without the subject; the loop stops at its last entry.
  rocksdb::ReadOptions options;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(options, subject_index()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    if (it->key().size() != prefix.size() + 8)
      continue;  // another key sharing the prefix
    std::optional<uint64_t> sequence = storage_keys::DecodeSequence(
        absl::string_view(it->key().data() + prefix.size(), 8));
    v1::storage::SubjectIndexEntry entry;
    if (!entry.ParseFromArray(it->value().data(),
                              static_cast<int>(it->value().size()))) {
      return absl::DataLossError("subject index entry unreadable");
    }
    entries.emplace(*sequence, std::move(entry));
  }
  if (!it->status().ok())
    return FromRocksDbStatus(it->status(), "read subject index");
  return entries;
}

absl::StatusOr<std::optional<v1::storage::SubjectIndexEntry>>
Database::ReadSubjectEntry(absl::string_view subject_key,
                           uint64_t sequence) const {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), subject_index(),
               storage_keys::SubjectIndexKey(subject_key, sequence), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocksDbStatus(s, "read subject index");
  v1::storage::SubjectIndexEntry entry;
  if (!entry.ParseFromString(value))
    return absl::DataLossError("subject index entry unreadable");
  return entry;
}

absl::StatusOr<std::optional<uint64_t>> Database::ReadNewestOfPartner(
    absl::string_view subject_key, absl::string_view partner_id) const {
  std::string value;
  rocksdb::Status s = db_->Get(
      rocksdb::ReadOptions(), subject_partners(),
      storage_keys::SubjectPartnerKey(subject_key, partner_id), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocksDbStatus(s, "read subject partners");
  std::optional<uint64_t> sequence = storage_keys::DecodeSequence(value);
  if (!sequence) return absl::DataLossError("subject partner entry unreadable");
  return *sequence;
}

absl::StatusOr<std::vector<std::string>> Database::SampleKekIds() const {
  std::vector<std::string> ids;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), data_keys()));
  for (const bool last : {false, true}) {
    last ? it->SeekToLast() : it->SeekToFirst();
    if (!it->Valid()) break;
    v1::storage::WrappedDataKey key;
    if (!key.ParseFromArray(it->value().data(),
                            static_cast<int>(it->value().size()))) {
      return absl::DataLossError("a stored data key is unreadable");
    }
    ids.push_back(key.kek_id());
  }
  if (!it->status().ok()) return FromRocksDbStatus(it->status(), "data keys");
  return ids;
}

absl::StatusOr<std::optional<v1::SignedCheckpoint>> Database::LastCheckpoint()
    const {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), audit_checkpoints()));
  it->SeekToLast();
  if (!it->status().ok()) return FromRocksDbStatus(it->status(), "checkpoints");
  if (!it->Valid()) return std::optional<v1::SignedCheckpoint>();
  v1::SignedCheckpoint checkpoint;
  if (!checkpoint.ParseFromArray(it->value().data(),
                                 static_cast<int>(it->value().size()))) {
    return absl::DataLossError("a stored checkpoint is unreadable");
  }
  return std::optional<v1::SignedCheckpoint>(std::move(checkpoint));
}

bool Database::HasIdempotency(absl::string_view key) const {
  std::string value;
  return db_
      ->Get(rocksdb::ReadOptions(), idempotency(),
            rocksdb::Slice(key.data(), key.size()), &value)
      .ok();
}

absl::StatusOr<uint64_t> Database::ReadAckedCursor(
    absl::string_view subscriber) const {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), cursors(),
               rocksdb::Slice(subscriber.data(), subscriber.size()), &value);
  if (s.IsNotFound()) return 0;
  if (!s.ok()) return FromRocksDbStatus(s, "read cursor");
  std::optional<uint64_t> cursor = storage_keys::DecodeSequence(value);
  if (!cursor) return absl::DataLossError("cursor record unreadable");
  return *cursor;
}

absl::StatusOr<uint64_t> Database::NextSequenceIn(
    rocksdb::ColumnFamilyHandle* family) const {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), family));
  it->SeekToLast();
  if (!it->status().ok())
    return FromRocksDbStatus(it->status(), "find last record");
  if (!it->Valid()) return 1;
  std::optional<uint64_t> last = storage_keys::DecodeSequence(
      absl::string_view(it->key().data(), it->key().size()));
  if (!last) return absl::DataLossError("find last record: malformed key");
  return *last + 1;
}

absl::Status Database::FlushAll(bool wait) {
  rocksdb::FlushOptions flush;
  flush.wait = wait;
  flush.allow_write_stall = true;
  return FromRocksDbStatus(db_->Flush(flush, handles_), "flush");
}

absl::StatusOr<uint64_t> Database::AuditSize() const {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), audit()));
  it->SeekToLast();
  if (!it->status().ok())
    return FromRocksDbStatus(it->status(), "find last audit record");
  if (!it->Valid()) return 0;
  std::optional<uint64_t> last = storage_keys::DecodeSequence(
      absl::string_view(it->key().data(), it->key().size()));
  if (!last) return absl::DataLossError("audit record key malformed");
  return *last + 1;
}

absl::StatusOr<std::string> Database::ReadAuditNode(int level,
                                                    uint64_t index) const {
  std::string hash;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), audit_tree(),
                               storage_keys::AuditNodeKey(level, index), &hash);
  if (s.IsNotFound()) {
    return absl::DataLossError(
        absl::StrCat("audit tree node ", level, "/", index, " is missing"));
  }
  if (!s.ok()) return FromRocksDbStatus(s, "read audit tree");
  return hash;
}

rocksdb::WriteOptions Database::SyncWrite() {
  rocksdb::WriteOptions options;
  options.sync = true;
  return options;
}

}  // namespace ketenhub
