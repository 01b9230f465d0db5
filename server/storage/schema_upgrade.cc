// The on-disk schema version and the upgrades from earlier ones: the part of
// opening a Database that changes stored data.

#include "absl/strings/str_cat.h"
#include "server/common/json_log.h"
#include "server/storage/database.h"
#include "server/storage/keys.h"
#include "server/storage/payload_cipher.h"
#include "server/storage/rocksdb_status.h"
#include "server/storage/worklist.h"

namespace ketenhub {

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
  rocksdb::WriteBatch batch;
  absl::Status written;
  absl::Status scan = Scan<v1::storage::StoredSignal>(
      Family::kSignals, "", "encrypt stored signals",
      [&](absl::string_view key, v1::storage::StoredSignal& signal) {
        if (signal.has_payload()) return ScanStep::kContinue;
        absl::StatusOr<v1::storage::WrappedDataKey> data_key =
            SealPayload(*key_ring_, signal);
        if (!data_key.ok()) {
          written = data_key.status();
          return ScanStep::kStop;
        }
        batch.Put(data_keys(), signal.signal_id(),
                  data_key->SerializeAsString());
        batch.Put(signals(), rocksdb::Slice(key.data(), key.size()),
                  StoredForm(signal).SerializeAsString());
        if (batch.Count() >= 1000) {
          written = FromRocksDbStatus(db_->Write(SyncWrite(), &batch),
                                      "encrypt stored signals");
          batch.Clear();
          if (!written.ok()) return ScanStep::kStop;
        }
        return ScanStep::kContinue;
      });
  if (!scan.ok()) return scan;
  if (!written.ok()) return written;
  return FromRocksDbStatus(db_->Write(SyncWrite(), &batch),
                           "encrypt stored signals");
}

// Signals stored before the worklist existed enter it as they are: new, or
// decided when they have a decision. Destroyed ones stay out.
absl::Status Database::BuildWorklistOnce() {
  std::string built;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), storage_keys::kWorklistBuiltKey, &built);
  if (s.ok()) return absl::OkStatus();
  if (!s.IsNotFound()) return FromRocksDbStatus(s, "read worklist state");
  rocksdb::WriteBatch batch;
  absl::Status written;
  uint64_t entered = 0;
  absl::Status scan = Scan<v1::storage::StoredSignal>(
      Family::kSignals, "", "build worklist",
      [&](absl::string_view, v1::storage::StoredSignal& signal) {
        if (signal.state() == v1::SIGNAL_STATE_DESTROYED)
          return ScanStep::kContinue;
        if (signal.has_decision()) {
          for (const std::string& receiver : signal.receivers()) {
            v1::storage::ReceiverTriage* triage = signal.add_triage();
            triage->set_receiver(receiver);
            triage->mutable_triage()->set_state(v1::TRIAGE_STATE_DECIDED);
          }
          batch.Put(signals(), storage_keys::EncodeSequence(signal.sequence()),
                    signal.SerializeAsString());
        }
        PutWorklistEntries(*this, signal, batch);
        entered += signal.receivers_size() > 0 ? 1 : 0;
        if (batch.Count() >= 1000) {
          written = FromRocksDbStatus(db_->Write(SyncWrite(), &batch),
                                      "build worklist");
          batch.Clear();
          if (!written.ok()) return ScanStep::kStop;
        }
        return ScanStep::kContinue;
      });
  if (!scan.ok()) return scan;
  if (!written.ok()) return written;
  batch.Put(storage_keys::kWorklistBuiltKey, "1");
  s = db_->Write(SyncWrite(), &batch);
  if (s.ok() && entered > 0) {
    LogEvent(LogLevel::kInfo, "worklist_built",
             {{"signals", absl::StrCat(entered)}});
  }
  return FromRocksDbStatus(s, "build worklist");
}

}  // namespace ketenhub
