#include "server/storage/audit_trail.h"

#include <algorithm>
#include <bit>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/common/caller_status.h"
#include "server/common/status_macros.h"
#include "server/storage/keys.h"
#include "server/storage/rocksdb_status.h"
#include "server/storage/signal_mutations.h"
#include "server/storage/store_internal.h"
#include "server/storage/time_conversion.h"

namespace ketenhub {
namespace {

// The stored bytes of record `index`; DATA_LOSS when missing.
absl::StatusOr<std::string> ReadAuditLeaf(const Database& database,
                                          uint64_t index) {
  std::string bytes;
  rocksdb::Status s =
      database.db()->Get(rocksdb::ReadOptions(), database.audit(),
                         storage_keys::EncodeSequence(index), &bytes);
  if (s.IsNotFound()) {
    return absl::DataLossError(
        absl::StrCat("audit record ", index, " is missing"));
  }
  if (!s.ok()) return FromRocksDbStatus(s, "read audit record");
  return bytes;
}

absl::StatusOr<v1::AuditRecord> ReadParsedRecord(const Database& database,
                                                 uint64_t index) {
  absl::StatusOr<std::string> bytes = ReadAuditLeaf(database, index);
  if (!bytes.ok()) return bytes.status();
  v1::AuditRecord record;
  if (!record.ParseFromString(*bytes)) {
    return absl::DataLossError(
        absl::StrCat("audit record ", index, " is unreadable"));
  }
  return record;
}

// The first index whose end time is at or after `from` (commit times never
// go back, so end times are sorted by index).
absl::StatusOr<uint64_t> FirstAtOrAfter(const Database& database,
                                        uint64_t committed, absl::Time from) {
  uint64_t low = 0;
  uint64_t high = committed;
  while (low < high) {
    const uint64_t middle = low + (high - low) / 2;
    absl::StatusOr<v1::AuditRecord> record = ReadParsedRecord(database, middle);
    if (!record.ok()) return record.status();
    if (FromTimestamp(record->end_time()) < from) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low;
}

// Walks record indexes >= `from` in order: through a secondary index when
// `prefix` is set, else through all records.
class IndexWalk {
 public:
  IndexWalk(const Database& database, std::string prefix, uint64_t from)
      : prefix_(std::move(prefix)),
        it_(database.db()->NewIterator(
            rocksdb::ReadOptions(),
            prefix_.empty() ? database.audit() : database.audit_index())) {
    it_->Seek(absl::StrCat(prefix_, storage_keys::EncodeSequence(from)));
  }

  // The next index, or nullopt at the end.
  std::optional<uint64_t> Next() {
    for (; it_->Valid(); it_->Next()) {
      const rocksdb::Slice key = it_->key();
      if (!key.starts_with(prefix_)) return std::nullopt;
      if (key.size() != prefix_.size() + 8) continue;
      std::optional<uint64_t> index = storage_keys::DecodeSequence(
          absl::string_view(key.data() + prefix_.size(), 8));
      it_->Next();
      return index;
    }
    return std::nullopt;
  }

  absl::Status status() const {
    return FromRocksDbStatus(it_->status(), "read audit trail");
  }

 private:
  const std::string prefix_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

// Several walks merged into one ascending walk (a person under several
// pseudonyms).
class MergedWalk {
 public:
  MergedWalk(const Database& database, const std::vector<std::string>& prefixes,
             uint64_t from) {
    for (const std::string& prefix : prefixes) {
      walks_.push_back(std::make_unique<IndexWalk>(database, prefix, from));
      next_.push_back(walks_.back()->Next());
    }
  }

  std::optional<uint64_t> Next() {
    size_t best = walks_.size();
    for (size_t i = 0; i < walks_.size(); ++i) {
      if (next_[i] && (best == walks_.size() || *next_[i] < *next_[best]))
        best = i;
    }
    if (best == walks_.size()) return std::nullopt;
    const std::optional<uint64_t> index = next_[best];
    next_[best] = walks_[best]->Next();
    return index;
  }

  absl::Status status() const {
    for (const auto& walk : walks_) {
      if (absl::Status s = walk->status(); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  std::vector<std::unique_ptr<IndexWalk>> walks_;
  std::vector<std::optional<uint64_t>> next_;
};

}  // namespace

bool AuditFilterMatches(const AuditFilter& filter,
                        const v1::AuditRecord& record) {
  if (!filter.subject_pseudonym.empty() &&
      record.data_subject_pseudonym() != filter.subject_pseudonym &&
      std::find(
          filter.earlier_pseudonyms.begin(), filter.earlier_pseudonyms.end(),
          record.data_subject_pseudonym()) == filter.earlier_pseudonyms.end()) {
    return false;
  }
  if (!filter.actor.empty() && record.actor_partner_id() != filter.actor &&
      record.actor_oin() != filter.actor) {
    return false;
  }
  if (!filter.operation.empty() && record.operation() != filter.operation)
    return false;
  const bool succeeded = record.status_code() == "OK";
  if (filter.outcome == v1::AUDIT_OUTCOME_SUCCEEDED && !succeeded) return false;
  if (filter.outcome == v1::AUDIT_OUTCOME_REFUSED && succeeded) return false;
  const absl::Time end = FromTimestamp(record.end_time());
  if (end < filter.from || end >= filter.to) return false;
  if (!filter.user.empty() && record.acting_user_id() != filter.user)
    return false;
  if (!filter.trace_id.empty() && record.trace_id() != filter.trace_id)
    return false;
  if (!filter.signal_id.empty() &&
      std::find(record.signal_ids().begin(), record.signal_ids().end(),
                filter.signal_id) == record.signal_ids().end()) {
    return false;
  }
  return true;
}

namespace {

// Whether `record` is about what `filter`'s index walk is keyed on (its
// person, signal or employee), and the index key it then has.
std::optional<std::string> IndexKeyFor(const AuditFilter& filter,
                                       const v1::AuditRecord& record) {
  const std::string index = storage_keys::EncodeSequence(record.index());
  if (!filter.subject_pseudonym.empty()) {
    const std::string& pseudonym = record.data_subject_pseudonym();
    if (pseudonym != filter.subject_pseudonym &&
        std::find(filter.earlier_pseudonyms.begin(),
                  filter.earlier_pseudonyms.end(),
                  pseudonym) == filter.earlier_pseudonyms.end()) {
      return std::nullopt;
    }
    return absl::StrCat(storage_keys::AuditSubjectPrefix(pseudonym), index);
  }
  if (!filter.signal_id.empty()) {
    if (std::find(record.signal_ids().begin(), record.signal_ids().end(),
                  filter.signal_id) == record.signal_ids().end()) {
      return std::nullopt;
    }
    return absl::StrCat(storage_keys::AuditSignalPrefix(filter.signal_id),
                        index);
  }
  if (record.acting_user_id() != filter.user) return std::nullopt;
  return absl::StrCat(storage_keys::AuditUserPrefix(filter.user), index);
}

absl::Status IndexAltered(uint64_t index, absl::string_view how) {
  return ForCaller(absl::DataLossError(absl::StrCat(
      "the audit index ", how, " record ", index,
      ": it was altered; ketenhub-admin audit verify lists every such entry")));
}

// For a cross-check: whether `record`'s index entries for `filter`'s key
// agree with what the record is about, both ways.
absl::Status CrossCheck(const Database& database, const AuditFilter& filter,
                        const std::vector<std::string>& prefixes,
                        const v1::AuditRecord& record) {
  const std::optional<std::string> expected = IndexKeyFor(filter, record);
  const std::string index = storage_keys::EncodeSequence(record.index());
  for (const std::string& prefix : prefixes) {
    const std::string key = absl::StrCat(prefix, index);
    std::string ignored;
    rocksdb::Status s = database.db()->Get(
        rocksdb::ReadOptions(), database.audit_index(), key, &ignored);
    if (!s.ok() && !s.IsNotFound())
      return FromRocksDbStatus(s, "cross-check the audit index");
    const bool should = expected.has_value() && *expected == key;
    if (s.ok() && !should)
      return IndexAltered(record.index(), "names, under what was asked,");
    if (!s.ok() && should)
      return IndexAltered(record.index(), "misses, under what was asked,");
  }
  return absl::OkStatus();
}

absl::StatusOr<AuditPage> QueryAuditLog(const Database& database,
                                        uint64_t committed,
                                        const AuditFilter& filter,
                                        uint64_t from_index, size_t max,
                                        size_t max_scanned) {
  AuditPage page;
  std::vector<std::string> prefixes;
  if (!filter.subject_pseudonym.empty()) {
    prefixes.push_back(
        storage_keys::AuditSubjectPrefix(filter.subject_pseudonym));
    for (const std::string& earlier : filter.earlier_pseudonyms)
      prefixes.push_back(storage_keys::AuditSubjectPrefix(earlier));
  } else if (!filter.signal_id.empty()) {
    prefixes.push_back(storage_keys::AuditSignalPrefix(filter.signal_id));
  } else if (!filter.user.empty()) {
    prefixes.push_back(storage_keys::AuditUserPrefix(filter.user));
  }
  const bool by_index = !prefixes.empty() && !filter.cross_check;
  if (!by_index && filter.from != absl::InfinitePast()) {
    absl::StatusOr<uint64_t> first =
        FirstAtOrAfter(database, committed, filter.from);
    if (!first.ok()) return first.status();
    from_index = std::max(from_index, *first);
  }
  MergedWalk walk(database, by_index ? prefixes : std::vector<std::string>{""},
                  from_index);
  size_t scanned = 0;
  for (std::optional<uint64_t> index = walk.Next();
       index.has_value() && *index < committed; index = walk.Next()) {
    if (page.records.size() >= max || scanned >= max_scanned) {
      page.next_index = *index;
      return page;
    }
    ++scanned;
    absl::StatusOr<v1::AuditRecord> record = ReadParsedRecord(database, *index);
    if (!record.ok()) return record.status();
    if (FromTimestamp(record->end_time()) >= filter.to) break;
    // An index entry must point at a record about what it is keyed on; one
    // that does not was planted.
    if (by_index && !IndexKeyFor(filter, *record).has_value())
      return IndexAltered(*index, "names, under what was asked,");
    if (!by_index && !prefixes.empty()) {
      KETENHUB_RETURN_IF_ERROR(CrossCheck(database, filter, prefixes, *record));
    }
    if (AuditFilterMatches(filter, *record))
      page.records.push_back(*std::move(record));
  }
  if (absl::Status status = walk.status(); !status.ok()) return status;
  return page;
}

class RocksAuditTrail final : public AuditTrail {
 public:
  RocksAuditTrail(StoreCore& core,
                  std::optional<v1::SignedCheckpoint> newest_stored)
      : core_(core) {
    if (newest_stored.has_value()) {
      newest_ = std::make_shared<const v1::SignedCheckpoint>(
          *std::move(newest_stored));
    }
  }

  void Record(std::vector<v1::AuditRecord> records,
              StatusCallback done) override {
    core_.pipeline().Enqueue(
        MakeAuditOnlyMutation(std::move(records), std::move(done)));
  }

  void StoreCheckpoint(v1::SignedCheckpoint checkpoint,
                       StatusCallback done) override {
    auto stored = std::make_shared<const v1::SignedCheckpoint>(checkpoint);
    core_.pipeline().Enqueue(MakeCheckpointWrite(
        std::move(checkpoint),
        [this, stored, done = std::move(done)](absl::Status written) mutable {
          if (written.ok()) {
            absl::MutexLock lock(&mu_);
            if (newest_ == nullptr ||
                stored->tree_size() >= newest_->tree_size())
              newest_ = std::move(stored);
          }
          std::move(done)(std::move(written));
        }));
  }

  std::shared_ptr<const v1::SignedCheckpoint> NewestCheckpoint()
      const override {
    absl::MutexLock lock(&mu_);
    return newest_;
  }

  TreeHead Head() const override {
    CommitPipeline::TreeHead head = core_.pipeline().audit_tree_head();
    return {head.size, std::move(head.root)};
  }

  absl::StatusOr<AuditPage> Query(const AuditFilter& filter,
                                  uint64_t from_index, size_t max,
                                  size_t max_scanned) const override {
    return QueryAuditLog(core_.database(), Head().size, filter, from_index, max,
                         max_scanned);
  }

  absl::StatusOr<std::string> ReadRecord(uint64_t index) const override {
    if (index >= Head().size)
      return absl::OutOfRangeError("index: beyond the audit trail");
    return ReadAuditLeaf(core_.database(), index);
  }

  absl::StatusOr<std::vector<std::string>> InclusionProof(
      uint64_t index, uint64_t tree_size) const override {
    if (tree_size > Head().size)
      return absl::OutOfRangeError("tree_size: beyond the audit trail");
    return merkle::InclusionProof(index, tree_size, StoredSubtrees());
  }

  absl::StatusOr<std::vector<std::string>> ConsistencyProof(
      uint64_t old_size, uint64_t new_size) const override {
    if (new_size > Head().size)
      return absl::OutOfRangeError("new_size: beyond the audit trail");
    return merkle::ConsistencyProof(old_size, new_size, StoredSubtrees());
  }

  absl::StatusOr<std::string> RootAt(uint64_t size) const override {
    if (size > Head().size)
      return absl::OutOfRangeError("size: beyond the audit trail");
    if (size == 0) return merkle::EmptyTreeHash();
    return merkle::RangeHash(0, size, StoredSubtrees());
  }

  void StoreCosignature(v1::Cosignature cosignature, v1::AuditRecord audit,
                        StatusCallback done) override {
    core_.pipeline().Enqueue(MakeCosignatureWrite(
        std::move(cosignature), std::move(audit), std::move(done)));
  }

  void ForgetCosignatures(std::vector<std::string> witness_key_ids,
                          v1::AuditRecord audit, StatusCallback done) override {
    core_.pipeline().Enqueue(MakeCosignaturesForgotten(
        std::move(witness_key_ids), std::move(audit), std::move(done)));
  }

  absl::StatusOr<std::vector<v1::Cosignature>> Cosignatures() const override {
    std::vector<v1::Cosignature> all;
    const absl::string_view prefix = storage_keys::kCosignaturePrefix;
    // The default family holds other metadata after the prefix: check the
    // key before parsing the value.
    absl::Status scanned = core_.database().ScanBytes(
        Family::kDefault, prefix, "read cosignatures",
        [&](absl::string_view key,
            absl::string_view value) -> absl::StatusOr<ScanStep> {
          if (!absl::StartsWith(key, prefix)) return ScanStep::kStop;
          if (!all.emplace_back().ParseFromArray(
                  value.data(), static_cast<int>(value.size()))) {
            return absl::DataLossError("read cosignatures: one is unreadable");
          }
          return ScanStep::kContinue;
        });
    if (!scanned.ok()) return scanned;
    return all;
  }

 private:
  merkle::PerfectSubtree StoredSubtrees() const {
    return [db = &core_.database()](uint64_t begin, uint64_t end) {
      const int level = std::countr_zero(end - begin);
      return db->ReadAuditNode(level, begin >> level);
    };
  }

  StoreCore& core_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const v1::SignedCheckpoint> newest_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<AuditTrail> MakeAuditTrail(
    StoreCore& core, std::optional<v1::SignedCheckpoint> newest_stored) {
  return std::make_unique<RocksAuditTrail>(core, std::move(newest_stored));
}

}  // namespace ketenhub
