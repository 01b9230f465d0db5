#include "server/storage/audit_verify.h"

#include <algorithm>
#include <map>
#include <memory>

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
    for (const std::string& key : storage_keys::AuditIndexKeys(parsed)) {
      std::string value;
      rocksdb::Status s = database_.db()->Get(
          ScanOptions(), database_.audit_index(), key, &value);
      if (s.IsNotFound()) {
        return Bad(index, key.front() == 's'
                              ? "is missing from the audit index by person: "
                                "a query by BSN would not show it"
                          : key.front() == 'u'
                              ? "is missing from the audit index by employee: "
                                "a query by user would not show it"
                              : "is missing from the audit index by signal: "
                                "a query by signal id would not show it");
      }
      if (!s.ok()) return Bad(index, "has an unreadable audit index entry");
    }
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
};

// Every audit index entry must name a record of the log that is about its
// person or signal: an entry added or moved would make a query show a record
// that is not about whom it asked. Reports the first that does not.
absl::Status CheckIndexEntries(const Database& database, uint64_t records,
                               AuditVerification& result) {
  std::unique_ptr<rocksdb::Iterator> it(
      database.db()->NewIterator(ScanOptions(), database.audit_index()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const absl::string_view key(it->key().data(), it->key().size());
    const uint64_t index =
        key.size() > 8
            ? storage_keys::DecodeSequence(key.substr(key.size() - 8))
                  .value_or(records)
            : records;
    if (index >= records) {
      result.problem = "an audit index entry names no record of the log";
      return absl::OkStatus();
    }
    std::string bytes;
    v1::AuditRecord record;
    std::vector<std::string> keys;
    if (database.db()
            ->Get(ScanOptions(), database.audit(),
                  storage_keys::EncodeSequence(index), &bytes)
            .ok() &&
        record.ParseFromString(bytes)) {
      keys = storage_keys::AuditIndexKeys(record);
    }
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      result.problem =
          absl::StrCat("an audit index entry names record ", index,
                       ", which is not about that person, signal or employee");
      result.first_bad_record = index;
      return absl::OkStatus();
    }
  }
  return FromRocksDbStatus(it->status(), "read audit index");
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
        CheckIndexEntries(**database, result.records, result));
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
