#include "server/storage/database.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

// How each column family is stored, in Family order.
struct FamilySpec {
  Family family;
  const char* name;
  bool encrypted;       // values are ciphertext: compressing only costs time
  bool point_lookups;   // lookups that often miss, or hit one key among
                        // millions: a whole-key Bloom filter
  bool subject_prefix;  // a Bloom filter on the subject key prefix
  bool added_later;     // may be missing from an older store (read-only open)
};
constexpr FamilySpec kFamilies[] = {
    {Family::kDefault, "default", false, false, false, false},
    {Family::kSignals, storage_keys::kSignals, true, false, false, false},
    {Family::kSignalIds, storage_keys::kSignalIds, false, true, false, false},
    {Family::kIdempotency, storage_keys::kIdempotency, false, true, false,
     false},
    {Family::kSubjectIndex, storage_keys::kSubjectIndex, false, false, true,
     false},
    {Family::kEvents, storage_keys::kEvents, false, false, false, false},
    {Family::kCursors, storage_keys::kCursors, false, true, false, false},
    {Family::kAudit, storage_keys::kAudit, false, false, false, false},
    {Family::kAuditTree, storage_keys::kAuditTree, false, false, false, false},
    {Family::kAuditIndex, storage_keys::kAuditIndex, false, false, false,
     false},
    {Family::kAuditCheckpoints, storage_keys::kAuditCheckpoints, false, false,
     false, false},
    {Family::kDataKeys, storage_keys::kDataKeys, true, true, false, false},
    {Family::kSubjectPartners, storage_keys::kSubjectPartners, false, true,
     false, true},
    {Family::kWorklist, storage_keys::kWorklist, false, false, false, true},
};
static_assert(std::size(kFamilies) == static_cast<size_t>(Family::kCount));

// The options of one family; all share `cache` for their data blocks.
rocksdb::ColumnFamilyOptions FamilyOptions(
    const FamilySpec& spec, const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions family;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Index and filter blocks stay with their open SST files rather than in
  // the cache: evicted, every lookup would read and decompress them again
  // (measured: the commit thread spent half its time so at 1M signals).
  // 16 KiB blocks keep the indexes small.
  table.block_size = 16 * 1024;
  if (spec.encrypted) family.compression = rocksdb::kNoCompression;
  if (spec.subject_prefix) {
    // Matching asks whether a person has earlier entries; most have none.
    // A Bloom filter on the subject key (the first kSubjectKeyBytes of
    // every entry's key) answers that without reading each SST file.
    family.prefix_extractor.reset(
        rocksdb::NewFixedPrefixTransform(storage_keys::kSubjectKeyBytes));
    family.memtable_prefix_bloom_size_ratio = 0.02;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.whole_key_filtering = false;
  }
  if (spec.point_lookups) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    family.memtable_whole_key_filtering = true;
    family.memtable_prefix_bloom_size_ratio = 0.02;
  }
  family.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Deleted data keys and content leave the SST files within a day
  // (crypto-shredding), whatever the write volume.
  family.periodic_compaction_seconds = kShredCompactionSeconds;
  return family;
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
  std::vector<bool> present;  // by Family
  for (const FamilySpec& spec : kFamilies) {
    // A read-only open cannot create a family; one added later may be
    // missing from a store no hub of this version has opened yet.
    present.push_back(!read_only || !spec.added_later ||
                      HasFamily(path, spec.name));
    if (present.back())
      families.emplace_back(spec.name, FamilyOptions(spec, cache));
  }
  std::unique_ptr<Database> database(new Database());
  std::vector<rocksdb::ColumnFamilyHandle*> opened;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s =
      read_only
          ? rocksdb::DB::OpenForReadOnly(options, path, families, &opened, &db)
          : rocksdb::DB::Open(options, path, families, &opened, &db);
  if (!s.ok()) return FromRocksDbStatus(s, "open database");
  database->db_.reset(db);
  auto next = opened.begin();
  for (const bool here : present)
    database->handles_.push_back(here ? *next++ : nullptr);
  database->read_only_ = read_only;
  database->key_ring_ = key_ring;
  if (read_only) return database;
  if (absl::Status schema = database->CheckSchemaVersion(); !schema.ok())
    return schema;
  if (absl::Status built = database->BuildWorklistOnce(); !built.ok())
    return built;
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
    if (handle != nullptr) db_->DestroyColumnFamilyHandle(handle);
  }
  db_->Close();
}

absl::StatusOr<std::map<uint64_t, v1::storage::SubjectIndexEntry>>
Database::SubjectEntries(absl::string_view subject_key) const {
  std::map<uint64_t, v1::storage::SubjectIndexEntry> entries;
  // Prefix mode (the default with a prefix extractor): the Bloom filters
  // skip SST files without the subject; the scan stops at its last entry.
  absl::Status scan = Scan<v1::storage::SubjectIndexEntry>(
      Family::kSubjectIndex, subject_key, "read subject index",
      [&](absl::string_view key, v1::storage::SubjectIndexEntry& entry) {
        if (!absl::StartsWith(key, subject_key)) return ScanStep::kStop;
        if (key.size() != subject_key.size() + 8)
          return ScanStep::kContinue;  // another key sharing the prefix
        std::optional<uint64_t> sequence =
            storage_keys::DecodeSequence(key.substr(subject_key.size()));
        entries.emplace(*sequence, std::move(entry));
        return ScanStep::kContinue;
      });
  if (!scan.ok()) return scan;
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

absl::StatusOr<std::vector<std::string>> Database::LostKekIds() const {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), storage_keys::kLostKeksKey, &value);
  if (s.IsNotFound()) return std::vector<std::string>();
  if (!s.ok()) return FromRocksDbStatus(s, "read lost KEKs");
  return std::vector<std::string>(
      absl::StrSplit(value, ',', absl::SkipEmpty()));
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
  std::vector<rocksdb::ColumnFamilyHandle*> present;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    if (handle != nullptr) present.push_back(handle);
  }
  return FromRocksDbStatus(db_->Flush(flush, present), "flush");
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

absl::Status Database::ScanBytes(
    Family family, absl::string_view from, absl::string_view what,
    absl::FunctionRef<absl::StatusOr<ScanStep>(absl::string_view key,
                                               absl::string_view value)>
        visit) const {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), handle(family)));
  for (from.empty() ? it->SeekToFirst()
                    : it->Seek(rocksdb::Slice(from.data(), from.size()));
       it->Valid(); it->Next()) {
    absl::StatusOr<ScanStep> step =
        visit(absl::string_view(it->key().data(), it->key().size()),
              absl::string_view(it->value().data(), it->value().size()));
    if (!step.ok()) return step.status();
    if (*step == ScanStep::kStop) return absl::OkStatus();
  }
  return FromRocksDbStatus(it->status(), std::string(what));
}

rocksdb::WriteOptions Database::SyncWrite() {
  rocksdb::WriteOptions options;
  options.sync = true;
  return options;
}

}  // namespace ketenhub
