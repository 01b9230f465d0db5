#include "server/storage/database.h"

#include "absl/strings/str_cat.h"
#include "server/storage/keys.h"
#include "server/storage/rocksdb_status.h"

namespace ketenhub {
namespace {

absl::Status CheckSchemaVersion(rocksdb::DB* db) {
  std::string version;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(),
                              storage_keys::kSchemaVersionKey, &version);
  if (s.IsNotFound()) {
    s = db->Put(Database::SyncWrite(), storage_keys::kSchemaVersionKey,
                storage_keys::kSchemaVersion);
    return FromRocksDbStatus(s, "write schema version");
  }
  if (!s.ok()) return FromRocksDbStatus(s, "read schema version");
  if (version != storage_keys::kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data has schema version ", version, "; this hub reads version ",
        storage_keys::kSchemaVersion));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> Database::Open(
    const std::string& path) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.paranoid_checks = true;
  options.keep_log_file_num = 5;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const char* name :
       {rocksdb::kDefaultColumnFamilyName.c_str(), storage_keys::kSignals,
        storage_keys::kSignalIds, storage_keys::kIdempotency,
        storage_keys::kSubjectIndex}) {
    families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  std::unique_ptr<Database> database(new Database());
  rocksdb::DB* db = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(options, path, families, &database->handles_, &db);
  if (!s.ok()) return FromRocksDbStatus(s, "open database");
  database->db_.reset(db);
  if (absl::Status schema = CheckSchemaVersion(db); !schema.ok()) return schema;
  return database;
}

Database::~Database() {
  if (!db_) return;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    db_->DestroyColumnFamilyHandle(handle);
  }
  db_->Close();
}

rocksdb::WriteOptions Database::SyncWrite() {
  rocksdb::WriteOptions options;
  options.sync = true;
  return options;
}

}  // namespace ketenhub
