#include "server/storage/audit_verify.h"

#include <algorithm>
#include <map>
#include <memory>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "server/audit/checkpoint.h"
#include "server/audit/merkle.h"
#include "server/common/status_macros.h"
#include "server/storage/database.h"
#include "server/storage/keys.h"
#include "server/storage/rocksdb_status.h"

namespace ketenhub {
namespace {

constexpr uint64_t kProgressEvery = 100000;

// For one pass over everything: read ahead, keep the block cache for others.
rocksdb::ReadOptions ScanOptions() {
  rocksdb::ReadOptions options;
  options.readahead_size = 2 << 20;
  options.fill_cache = false;
  return options;
}

// Stored checkpoints and `trusted` by size, each with a valid signature; a
// bad signature is a problem.
absl::StatusOr<std::map<uint64_t, v1::SignedCheckpoint>> CollectCheckpoints(
    const Database& database, absl::string_view public_key_pem,
    const std::vector<v1::SignedCheckpoint>& trusted, std::string& problem) {
  std::map<uint64_t, v1::SignedCheckpoint> by_size;
  std::unique_ptr<rocksdb::Iterator> it(database.db()->NewIterator(
      rocksdb::ReadOptions(), database.audit_checkpoints()));
  std::vector<v1::SignedCheckpoint> all = trusted;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    v1::SignedCheckpoint checkpoint;
    if (!checkpoint.ParseFromArray(it->value().data(),
                                   static_cast<int>(it->value().size()))) {
      problem = "a stored checkpoint is unreadable";
      continue;
    }
    all.push_back(std::move(checkpoint));
  }
  if (!it->status().ok())
    return FromRocksDbStatus(it->status(), "read checkpoints");
  for (v1::SignedCheckpoint& checkpoint : all) {
    absl::Status signed_ok = VerifyCheckpoint(checkpoint, public_key_pem);
    if (signed_ok.code() == absl::StatusCode::kInvalidArgument)
      return signed_ok;
    if (!signed_ok.ok()) {
      if (problem.empty()) {
        problem = absl::StrCat("checkpoint of size ", checkpoint.tree_size(),
                               ": ", signed_ok.message());
      }
      continue;
    }
    // The auditor's own checkpoints come first and are kept: one of the
    // hub's with the same size and another root is a fork of the log.
    auto [kept, added] = by_size.emplace(checkpoint.tree_size(), checkpoint);
    if (!added && kept->second.root_hash() != checkpoint.root_hash()) {
      problem = absl::StrCat(
          "FORK: two validly signed checkpoints of size ",
          checkpoint.tree_size(),
          " have different roots (the log was rewritten; your checkpoint "
          "is kept as the truth)");
    }
  }
  return by_size;
}

// An audit index entry a record should have: its key's hash (in-process),
// the record, and the index it belongs to ('s' person, 'g' signal, 'u'
// employee).
struct IndexKey {
  size_t hash;
  uint64_t record;
  char kind;
};

class Verifier {
 public:
  Verifier(const Database& database,
           std::map<uint64_t, v1::SignedCheckpoint> checkpoints,
           AuditVerification& result)
      : database_(database),
        checkpoints_(std::move(checkpoints)),
        result_(result) {}

  // Checks record `index` with stored bytes `bytes`; false at a problem.
  bool Check(uint64_t index, const rocksdb::Slice& bytes) {
    const absl::string_view record(bytes.data(), bytes.size());
    v1::AuditRecord parsed;
    if (!parsed.ParseFromArray(record.data(),
                               static_cast<int>(record.size())) ||
        parsed.index() != index) {
      return Bad(index, "is unreadable or not in its place");
    }
    const std::vector<merkle::Node> nodes =
        tree_.Append(merkle::LeafHash(record));
    for (const merkle::Node& node : nodes) {
      if (!StoredNodeIs(node)) {
        return Bad(index, node.level == 0
                              ? "was altered: its hash differs from the tree"
                              : "ends a subtree whose stored hash differs");
      }
    }
    for (const std::string& key : storage_keys::AuditIndexKeys(parsed))
      index_keys_.push_back({absl::HashOf(key), index, key.front()});
    auto checkpoint = checkpoints_.find(index + 1);
    if (checkpoint != checkpoints_.end()) {
      ++result_.checkpoints;
      if (checkpoint->second.root_hash() != tree_.Root()) {
        result_.problem = absl::StrCat(
            "the first ", index + 1,
            " records do not match the root signed in their checkpoint");
        return false;
      }
    }
    return true;
  }

  const merkle::Frontier& tree() const { return tree_; }
  // The audit index entries the records checked so far should have (their
  // keys' hashes), for CheckIndex.
  std::vector<IndexKey>& index_keys() { return index_keys_; }
  const std::map<uint64_t, v1::SignedCheckpoint>& checkpoints() const {
    return checkpoints_;
  }

 private:
  // Compares with the stored node. Nodes of one level are completed in index
  // order and stored in key order, so one iterator per level walks them.
  bool StoredNodeIs(const merkle::Node& node) {
    if (levels_.size() <= static_cast<size_t>(node.level))
      levels_.resize(node.level + 1);
    std::unique_ptr<rocksdb::Iterator>& it = levels_[node.level];
    const std::string key = storage_keys::AuditNodeKey(node.level, node.index);
    if (it == nullptr) {
      it.reset(
          database_.db()->NewIterator(ScanOptions(), database_.audit_tree()));
      it->Seek(key);
    }
    const bool same = it->Valid() && it->key() == rocksdb::Slice(key) &&
                      it->value() == rocksdb::Slice(node.hash);
    if (it->Valid() && it->key() == rocksdb::Slice(key)) {
      it->Next();
    } else {
      it->Seek(key);  // realign after a missing node
    }
    return same;
  }

  bool Bad(uint64_t index, absl::string_view what) {
    result_.first_bad_record = index;
    result_.problem = absl::StrCat("record ", index, " ", what);
    return false;
  }

  const Database& database_;
  const std::map<uint64_t, v1::SignedCheckpoint> checkpoints_;
  AuditVerification& result_;
  merkle::Frontier tree_;
  std::vector<std::unique_ptr<rocksdb::Iterator>> levels_;
  std::vector<IndexKey> index_keys_;
};

// Compares the audit index with `expected` (the entries the first `records`
// records should have) in one pass over the index: an entry no record
// should have (added, or moved to another person) would make a query show a
// record not about whom it asked; an expected entry that is missing would
// hide the record from a query. Reports the first of either.
absl::Status CheckIndex(const Database& database, uint64_t records,
                        std::vector<IndexKey>& expected,
                        AuditVerification& result) {
  std::sort(
      expected.begin(), expected.end(),
      [](const IndexKey& a, const IndexKey& b) { return a.hash < b.hash; });
  std::vector<bool> found(expected.size(), false);
  std::unique_ptr<rocksdb::Iterator> it(
      database.db()->NewIterator(ScanOptions(), database.audit_index()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const absl::string_view key(it->key().data(), it->key().size());
    const size_t hash = absl::HashOf(key);
    auto match = std::lower_bound(
        expected.begin(), expected.end(), hash,
        [](const IndexKey& e, size_t h) { return e.hash < h; });
    if (match == expected.end() || match->hash != hash) {
      const uint64_t index =
          key.size() > 8
              ? storage_keys::DecodeSequence(key.substr(key.size() - 8))
                    .value_or(records)
              : records;
      if (index >= records) {
        result.problem = "an audit index entry names no record of the log";
      } else {
        result.problem = absl::StrCat(
            "an audit index entry names record ", index,
            ", which is not about that person, signal or employee");
        result.first_bad_record = index;
      }
      return absl::OkStatus();
    }
    // Equal keys (a signal named twice in one record) share one entry.
    for (; match != expected.end() && match->hash == hash; ++match)
      found[match - expected.begin()] = true;
  }
  KETENHUB_RETURN_IF_ERROR(FromRocksDbStatus(it->status(), "read audit index"));
  const IndexKey* missing = nullptr;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (!found[i] &&
        (missing == nullptr || expected[i].record < missing->record))
      missing = &expected[i];
  }
  if (missing != nullptr) {
    result.first_bad_record = missing->record;
    result.problem = absl::StrCat(
        "record ", missing->record,
        missing->kind == 's'   ? " is missing from the audit index by person: "
                                 "a query by BSN would not show it"
        : missing->kind == 'u' ? " is missing from the audit index by "
                                 "employee: a query by user would not show it"
                               : " is missing from the audit index by signal: "
                                 "a query by signal id would not show it");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AuditVerification> VerifyAuditLog(
    const std::string& db_path, absl::string_view public_key_pem,
    const std::vector<v1::SignedCheckpoint>& trusted,
    const std::function<void(uint64_t)>& progress) {
  absl::StatusOr<std::unique_ptr<Database>> database =
      Database::OpenReadOnly(db_path);
  if (!database.ok()) return database.status();
  AuditVerification result;
  absl::StatusOr<std::map<uint64_t, v1::SignedCheckpoint>> checkpoints =
      CollectCheckpoints(**database, public_key_pem, trusted, result.problem);
  if (!checkpoints.ok()) return checkpoints.status();
  Verifier verifier(**database, *std::move(checkpoints), result);
  std::unique_ptr<rocksdb::Iterator> it(
      (*database)->db()->NewIterator(ScanOptions(), (*database)->audit()));
  bool ok = result.problem.empty();
  for (it->SeekToFirst(); ok && it->Valid(); it->Next()) {
    const uint64_t index = result.records;
    if (it->key() != rocksdb::Slice(storage_keys::EncodeSequence(index))) {
      result.first_bad_record = index;
      result.problem = absl::StrCat("record ", index, " is missing");
      ok = false;
      break;
    }
    ok = verifier.Check(index, it->value());
    ++result.records;
    if (progress && result.records % kProgressEvery == 0)
      progress(result.records);
  }
  if (!it->status().ok())
    return FromRocksDbStatus(it->status(), "read audit trail");
  result.root = verifier.tree().Root();
  if (ok) {
    KETENHUB_RETURN_IF_ERROR(
        CheckIndex(**database, result.records, verifier.index_keys(), result));
  }
  if (ok && !verifier.checkpoints().empty() &&
      verifier.checkpoints().rbegin()->first > result.records) {
    result.problem = absl::StrCat(
        "the log holds ", result.records, " records, fewer than the ",
        verifier.checkpoints().rbegin()->first,
        " of a signed checkpoint: records were removed");
  }
  if (progress) progress(result.records);
  return result;
}

}  // namespace ketenhub
