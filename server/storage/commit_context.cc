#include "server/storage/commit_context.h"

#include "server/storage/keys.h"
#include "server/storage/rocksdb_status.h"
#include "server/storage/time_conversion.h"

namespace ketenhub {

using v1::storage::IdempotencyRecord;
using v1::storage::StoredEvent;
using v1::storage::StoredSignal;

CommitContext::CommitContext(Database* database, absl::Time now,
                             uint64_t next_sequence, uint64_t next_cursor)
    : database_(database),
      now_(now),
      next_sequence_(next_sequence),
      next_cursor_(next_cursor) {}

absl::StatusOr<std::optional<IdempotencyRecord>> CommitContext::ReadIdempotency(
    const std::string& key) {
  if (auto it = idempotency_.find(key); it != idempotency_.end())
    return it->second;
  std::string value;
  rocksdb::Status s = database_->db()->Get(
      rocksdb::ReadOptions(), database_->idempotency(), key, &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocksDbStatus(s, "read idempotency record");
  IdempotencyRecord record;
  if (!record.ParseFromString(value))
    return absl::DataLossError("idempotency record unreadable");
  return record;
}

void CommitContext::PutIdempotency(const std::string& key,
                                   const IdempotencyRecord& record) {
  batch_.Put(database_->idempotency(), key, record.SerializeAsString());
  idempotency_[key] = record;
}

absl::StatusOr<StoredSignal> CommitContext::ReadSignal(
    absl::string_view signal_id) {
  if (auto it = signals_.find(signal_id); it != signals_.end())
    return it->second;
  return database_->ReadSignal(signal_id);
}

absl::StatusOr<std::vector<StoredSignal>> CommitContext::SignalsOfSubject(
    const std::string& subject_key) {
  std::vector<StoredSignal> found;
  absl::StatusOr<std::vector<std::string>> ids =
      database_->SignalIdsOfSubject(subject_key);
  if (!ids.ok()) return ids.status();
  if (auto it = subject_signals_.find(subject_key);
      it != subject_signals_.end()) {
    ids->insert(ids->end(), it->second.begin(), it->second.end());
  }
  for (const std::string& id : *ids) {
    absl::StatusOr<StoredSignal> signal = ReadSignal(id);
    if (!signal.ok()) return signal.status();
    found.push_back(*std::move(signal));
  }
  return found;
}

void CommitContext::PutSignal(const StoredSignal& signal, bool is_new) {
  const std::string sequence_key =
      storage_keys::EncodeSequence(signal.sequence());
  batch_.Put(database_->signals(), sequence_key, signal.SerializeAsString());
  if (is_new) {
    batch_.Put(database_->signal_ids(), signal.signal_id(), sequence_key);
    batch_.Put(
        database_->subject_index(),
        storage_keys::SubjectIndexKey(signal.subject_key(), signal.sequence()),
        signal.signal_id());
    subject_signals_[signal.subject_key()].push_back(signal.signal_id());
  }
  signals_[signal.signal_id()] = signal;
}

void CommitContext::AppendEvent(StoredEvent event) {
  event.set_cursor(next_cursor_++);
  SetTimestamp(now_, event.mutable_time());
  batch_.Put(database_->events(), storage_keys::EncodeSequence(event.cursor()),
             event.SerializeAsString());
}

absl::StatusOr<uint64_t> CommitContext::ReadAckedCursor(
    const std::string& subscriber) {
  if (auto it = cursors_.find(subscriber); it != cursors_.end())
    return it->second;
  return database_->ReadAckedCursor(subscriber);
}

void CommitContext::PutAckedCursor(const std::string& subscriber,
                                   uint64_t cursor) {
  batch_.Put(database_->cursors(), subscriber,
             storage_keys::EncodeSequence(cursor));
  cursors_[subscriber] = cursor;
}

}  // namespace ketenhub
