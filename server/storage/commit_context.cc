#include "server/storage/commit_context.h"

#include "absl/strings/str_cat.h"
#include "server/storage/keys.h"
#include "server/storage/rocksdb_status.h"
#include "server/storage/time_conversion.h"
#include "server/storage/worklist.h"

namespace ketenhub {

using v1::storage::IdempotencyRecord;
using v1::storage::StoredEvent;
using v1::storage::StoredSignal;
using v1::storage::SubjectIndexEntry;

CommitContext::CommitContext(Database* database, absl::Time now,
                             uint64_t next_sequence, uint64_t next_cursor,
                             merkle::Frontier audit_tree)
    : database_(database),
      now_(now),
      next_sequence_(next_sequence),
      next_cursor_(next_cursor),
      audit_tree_(std::move(audit_tree)) {}

void CommitContext::AppendAudit(v1::AuditRecord record) {
  const uint64_t index = audit_tree_.size();
  record.set_index(index);
  SetTimestamp(now_, record.mutable_end_time());
  const std::string bytes = record.SerializeAsString();
  const std::string index_key = storage_keys::EncodeSequence(index);
  batch_.Put(database_->audit(), index_key, bytes);
  for (const merkle::Node& node : audit_tree_.Append(merkle::LeafHash(bytes))) {
    batch_.Put(database_->audit_tree(),
               storage_keys::AuditNodeKey(node.level, node.index), node.hash);
  }
  for (const std::string& key : storage_keys::AuditIndexKeys(record))
    batch_.Put(database_->audit_index(), key, "");
}

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

absl::StatusOr<StoredSignal> CommitContext::ReadSignalRecord(
    absl::string_view signal_id) {
  if (auto it = signals_.find(signal_id); it != signals_.end())
    return it->second;
  return database_->ReadSignal(signal_id, /*decrypt=*/false);
}

absl::StatusOr<std::vector<SubjectIndexEntry>> CommitContext::SubjectEntries(
    const std::string& subject_key) {
  absl::StatusOr<std::map<uint64_t, SubjectIndexEntry>> entries =
      database_->SubjectEntries(subject_key);
  if (!entries.ok()) return entries.status();
  if (auto it = subject_entries_.find(subject_key);
      it != subject_entries_.end()) {
    for (const auto& [sequence, entry] : it->second)
      (*entries)[sequence] = entry;
  }
  if (auto it = deleted_entries_.find(subject_key);
      it != deleted_entries_.end()) {
    for (uint64_t sequence : it->second) entries->erase(sequence);
  }
  std::vector<SubjectIndexEntry> ordered;
  ordered.reserve(entries->size());
  for (auto& [sequence, entry] : *entries) ordered.push_back(std::move(entry));
  return ordered;
}

absl::StatusOr<std::optional<uint64_t>> CommitContext::ReadNewestOfPartner(
    const std::string& key, absl::string_view subject_key,
    absl::string_view partner_id) {
  if (auto it = newest_of_partner_.find(key); it != newest_of_partner_.end())
    return it->second;
  return database_->ReadNewestOfPartner(subject_key, partner_id);
}

absl::StatusOr<bool> CommitContext::NewestOfPartnerIs(
    const std::string& subject_key, absl::string_view partner_id,
    const std::function<bool(const SubjectIndexEntry&)>& wanted) {
  const std::string key =
      storage_keys::SubjectPartnerKey(subject_key, partner_id);
  absl::StatusOr<std::optional<uint64_t>> sequence =
      ReadNewestOfPartner(key, subject_key, partner_id);
  if (!sequence.ok()) return sequence.status();
  if (!sequence->has_value()) return false;
  if (auto deleted = deleted_entries_.find(subject_key);
      deleted != deleted_entries_.end() &&
      deleted->second.contains(**sequence)) {
    return false;
  }
  if (auto written = subject_entries_.find(subject_key);
      written != subject_entries_.end()) {
    if (auto it = written->second.find(**sequence);
        it != written->second.end()) {
      return it->second.source_partner() == partner_id && wanted(it->second);
    }
  }
  absl::StatusOr<std::optional<SubjectIndexEntry>> entry =
      database_->ReadSubjectEntry(subject_key, **sequence);
  if (!entry.ok()) return entry.status();
  return entry->has_value() && (*entry)->source_partner() == partner_id &&
         wanted(**entry);
}

void CommitContext::PutSignal(const StoredSignal& signal,
                              const v1::storage::WrappedDataKey* new_data_key) {
  const bool is_new = new_data_key != nullptr;
  StoredSignal sealed = signal;
  if (is_new) PutDataKey(signal.signal_id(), *new_data_key);
  const std::string sequence_key =
      storage_keys::EncodeSequence(signal.sequence());
  {  // the stored form, without copying the content once more
    v1::Signal content;
    content.Swap(sealed.mutable_signal());
    sealed.mutable_signal()->set_client_ref(content.client_ref());
    sealed.mutable_signal()->set_category(content.category());
    sealed.mutable_signal()->set_urgency(content.urgency());
    sealed.mutable_signal()->set_municipality(content.municipality());
    batch_.Put(database_->signals(), sequence_key, sealed.SerializeAsString());
    sealed.mutable_signal()->Swap(&content);
  }
  if (is_new) {
    batch_.Put(database_->signal_ids(), signal.signal_id(), sequence_key);
    std::string key = storage_keys::SubjectPartnerKey(signal.subject_key(),
                                                      signal.source_partner());
    batch_.Put(database_->subject_partners(), key, sequence_key);
    newest_of_partner_[std::move(key)] = signal.sequence();
  }
  SubjectIndexEntry entry;
  entry.set_signal_id(signal.signal_id());
  entry.set_source_partner(signal.source_partner());
  entry.set_category(signal.signal().category());
  *entry.mutable_received_at() = signal.received_at();
  entry.set_match_window_days(signal.match_window_days());
  entry.set_withdrawn(signal.state() == v1::SIGNAL_STATE_WITHDRAWN);
  *entry.mutable_receivers() = signal.receivers();
  batch_.Put(
      database_->subject_index(),
      storage_keys::SubjectIndexKey(signal.subject_key(), signal.sequence()),
      entry.SerializeAsString());
  // Under each weak identifier too, naming the signal's person, for
  // possible matches.
  if (signal.identifier_keys_size() > 0) {
    SubjectIndexEntry weak = entry;
    weak.set_subject_key(signal.subject_key());
    for (const v1::storage::IdentifierKey& key : signal.identifier_keys()) {
      batch_.Put(database_->subject_index(),
                 storage_keys::SubjectIndexKey(key.key(), signal.sequence()),
                 weak.SerializeAsString());
      subject_entries_[key.key()][signal.sequence()] = weak;
    }
  }
  subject_entries_[signal.subject_key()][signal.sequence()] = std::move(entry);
  PutWorklistEntries(*database_, signal, batch_);
  signals_[signal.signal_id()] = std::move(sealed);
}

absl::Status CommitContext::MoveToSubject(StoredSignal& signal,
                                          const std::string& subject_key) {
  const std::string old_key = signal.subject_key();
  const std::string& partner = signal.source_partner();
  const std::string old_pointer =
      storage_keys::SubjectPartnerKey(old_key, partner);
  absl::StatusOr<std::optional<uint64_t>> newest =
      ReadNewestOfPartner(old_pointer, old_key, partner);
  if (!newest.ok()) return newest.status();
  if (*newest == signal.sequence()) {
    batch_.Delete(database_->subject_partners(), old_pointer);
    newest_of_partner_[old_pointer] = std::nullopt;
  }
  const std::string new_pointer =
      storage_keys::SubjectPartnerKey(subject_key, partner);
  newest = ReadNewestOfPartner(new_pointer, subject_key, partner);
  if (!newest.ok()) return newest.status();
  if (!newest->has_value() || **newest < signal.sequence()) {
    batch_.Put(database_->subject_partners(), new_pointer,
               storage_keys::EncodeSequence(signal.sequence()));
    newest_of_partner_[new_pointer] = signal.sequence();
  }
  batch_.Delete(database_->subject_index(),
                storage_keys::SubjectIndexKey(old_key, signal.sequence()));
  subject_entries_[old_key].erase(signal.sequence());
  deleted_entries_[old_key].insert(signal.sequence());
  deleted_entries_[subject_key].erase(signal.sequence());
  signal.set_subject_key(subject_key);
  PutSignal(signal, /*new_data_key=*/nullptr);
  return absl::OkStatus();
}

absl::Status CommitContext::DestroySignal(StoredSignal& signal,
                                          absl::string_view rule) {
  // The partner's newest-signal pointer goes with the signal it points at:
  // it links the partner to the person.
  const std::string partner_key = storage_keys::SubjectPartnerKey(
      signal.subject_key(), signal.source_partner());
  absl::StatusOr<std::optional<uint64_t>> newest = ReadNewestOfPartner(
      partner_key, signal.subject_key(), signal.source_partner());
  if (!newest.ok()) return newest.status();
  if (*newest == signal.sequence()) {
    batch_.Delete(database_->subject_partners(), partner_key);
    newest_of_partner_[partner_key] = std::nullopt;
  }
  batch_.Delete(database_->data_keys(), signal.signal_id());
  data_keys_[signal.signal_id()] = std::nullopt;
  batch_.Delete(
      database_->subject_index(),
      storage_keys::SubjectIndexKey(signal.subject_key(), signal.sequence()));
  subject_entries_[signal.subject_key()].erase(signal.sequence());
  deleted_entries_[signal.subject_key()].insert(signal.sequence());
  for (const v1::storage::IdentifierKey& key : signal.identifier_keys()) {
    batch_.Delete(database_->subject_index(),
                  storage_keys::SubjectIndexKey(key.key(), signal.sequence()));
    subject_entries_[key.key()].erase(signal.sequence());
    deleted_entries_[key.key()].insert(signal.sequence());
  }
  DeleteWorklistEntries(*database_, signal, batch_);
  StoredSignal tombstone = Database::StoredForm(signal);
  tombstone.clear_payload();
  tombstone.clear_triage();  // its reasons are free text
  tombstone.clear_subject_key();
  tombstone.clear_identifier_keys();
  tombstone.clear_content_hash();
  tombstone.clear_withdraw_reason();
  tombstone.clear_releases();          // their legal bases are free text
  tombstone.clear_match_judgements();  // their reasons too
  tombstone.mutable_decision()->clear_reason();
  tombstone.mutable_decision()->clear_change_reason();
  for (v1::Decision& earlier : *tombstone.mutable_earlier_decisions()) {
    earlier.clear_reason();
    earlier.clear_change_reason();
  }
  tombstone.set_state(v1::SIGNAL_STATE_DESTROYED);
  SetTimestamp(now_, tombstone.mutable_destroyed_at());
  tombstone.set_destruction_rule(std::string(rule));
  batch_.Put(database_->signals(),
             storage_keys::EncodeSequence(signal.sequence()),
             tombstone.SerializeAsString());
  signals_[signal.signal_id()] = tombstone;
  signal = std::move(tombstone);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::storage::WrappedDataKey>>
CommitContext::ReadDataKey(const std::string& signal_id) {
  if (auto it = data_keys_.find(signal_id); it != data_keys_.end())
    return it->second;
  std::string value;
  rocksdb::Status s = database_->db()->Get(
      rocksdb::ReadOptions(), database_->data_keys(), signal_id, &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocksDbStatus(s, "read data key");
  v1::storage::WrappedDataKey key;
  if (!key.ParseFromString(value))
    return absl::DataLossError("data key record unreadable");
  return key;
}

void CommitContext::PutDataKey(const std::string& signal_id,
                               const v1::storage::WrappedDataKey& key) {
  batch_.Put(database_->data_keys(), signal_id, key.SerializeAsString());
  data_keys_[signal_id] = key;
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

absl::StatusOr<std::optional<std::string>> CommitContext::ReadMeta(
    const std::string& key) {
  if (auto it = meta_.find(key); it != meta_.end()) return it->second;
  std::string value;
  const rocksdb::Status s =
      database_->db()->Get(rocksdb::ReadOptions(), key, &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocksDbStatus(s, "read metadata");
  return value;
}

void CommitContext::PutMeta(const std::string& key, std::string value) {
  batch_.Put(key, value);
  meta_[key] = std::move(value);
}

}  // namespace ketenhub
