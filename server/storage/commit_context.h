#ifndef KETENHUB_SERVER_STORAGE_COMMIT_CONTEXT_H_
#define KETENHUB_SERVER_STORAGE_COMMIT_CONTEXT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ketenhub/v1/audit.pb.h"
#include "ketenhub/v1/storage.pb.h"
#include "rocksdb/write_batch.h"
#include "server/audit/merkle.h"
#include "server/storage/database.h"

namespace ketenhub {

// Internal to the storage layer. What one commit group sees and writes: reads
// go to the database but see the group's own earlier writes; writes go into
// the group's WriteBatch. Used only on the commit pipeline thread.
class CommitContext {
 public:
  CommitContext(Database* database, absl::Time now, uint64_t next_sequence,
                uint64_t next_cursor, merkle::Frontier audit_tree);
  CommitContext(const CommitContext&) = delete;
  CommitContext& operator=(const CommitContext&) = delete;

  absl::Time now() const { return now_; }
  Database* database() const { return database_; }
  rocksdb::WriteBatch& batch() { return batch_; }
  uint64_t next_sequence() const { return next_sequence_; }
  uint64_t next_cursor() const { return next_cursor_; }

  const merkle::Frontier& audit_tree() const { return audit_tree_; }

  uint64_t TakeSequence() { return next_sequence_++; }

  // Appends `record` to the audit trail as the next leaf: sets its index and
  // end time (the group's time), and indexes it by subject and signal ids.
  void AppendAudit(v1::AuditRecord record);

  // The idempotency record under `key`, or nullopt.
  absl::StatusOr<std::optional<v1::storage::IdempotencyRecord>> ReadIdempotency(
      const std::string& key);
  void PutIdempotency(const std::string& key,
                      const v1::storage::IdempotencyRecord& record);

  // The signal `signal_id`, content decrypted; NOT_FOUND when there is none.
  absl::StatusOr<v1::storage::StoredSignal> ReadSignal(
      absl::string_view signal_id);
  // The signal's record without decrypting it (for destruction, which must
  // work even when the content is damaged).
  absl::StatusOr<v1::storage::StoredSignal> ReadSignalRecord(
      absl::string_view signal_id);
  // The subject index entries of `subject_key`, oldest first.
  absl::StatusOr<std::vector<v1::storage::SubjectIndexEntry>> SubjectEntries(
      const std::string& subject_key);
  // Whether `partner_id`'s newest signal about `subject_key` has a current
  // entry that satisfies `wanted`: two point lookups, for the question
  // matching asks most (does this partner know the person already?) about
  // persons with many signals. False says only that this shortcut does not
  // answer: read SubjectEntries.
  absl::StatusOr<bool> NewestOfPartnerIs(
      const std::string& subject_key, absl::string_view partner_id,
      const std::function<bool(const v1::storage::SubjectIndexEntry&)>& wanted);
  // Writes a new or changed signal (as read: content decrypted, payload
  // sealed) with its subject index entry; a new one, which brings
  // `new_data_key`, also gets its id mapping and its wrapped data key, and
  // becomes its partner's newest signal about the subject.
  void PutSignal(const v1::storage::StoredSignal& signal,
                 const v1::storage::WrappedDataKey* new_data_key);

  // Moves `signal` (a record as read) to the person `subject_key`: its
  // subject index entry and its partner's newest-signal pointer go from the
  // old person to the new one, and the record is written with the new key.
  absl::Status MoveToSubject(v1::storage::StoredSignal& signal,
                             const std::string& subject_key);

  // Crypto-shreds `signal`: deletes its data key and subject index entry and
  // leaves a tombstone (id, partner, client_ref, category, urgency, times,
  // the rule). `signal` becomes that tombstone.
  absl::Status DestroySignal(v1::storage::StoredSignal& signal,
                             absl::string_view rule);

  // The wrapped data key of `signal_id` as this group sees it, or nullopt.
  absl::StatusOr<std::optional<v1::storage::WrappedDataKey>> ReadDataKey(
      const std::string& signal_id);
  void PutDataKey(const std::string& signal_id,
                  const v1::storage::WrappedDataKey& key);

  // Appends an event, giving it the next cursor and the group's time.
  void AppendEvent(v1::storage::StoredEvent event);
  absl::StatusOr<uint64_t> ReadAckedCursor(const std::string& subscriber);
  void PutAckedCursor(const std::string& subscriber, uint64_t cursor);

  // A value of the default family (metadata) as this group sees it, or
  // nullopt; and its write.
  absl::StatusOr<std::optional<std::string>> ReadMeta(const std::string& key);
  void PutMeta(const std::string& key, std::string value);

 private:
  absl::StatusOr<std::optional<uint64_t>> ReadNewestOfPartner(
      const std::string& key, absl::string_view subject_key,
      absl::string_view partner_id);

  Database* const database_;
  const absl::Time now_;
  uint64_t next_sequence_;
  uint64_t next_cursor_;
  merkle::Frontier audit_tree_;
  rocksdb::WriteBatch batch_;
  absl::flat_hash_map<std::string, v1::storage::IdempotencyRecord> idempotency_;
  absl::flat_hash_map<std::string, v1::storage::StoredSignal>
      signals_;  // by id
  // Subject index entries written in this group: subject key -> sequence ->
  // entry.
  absl::flat_hash_map<std::string,
                      std::map<uint64_t, v1::storage::SubjectIndexEntry>>
      subject_entries_;
  // Subject index entries deleted in this group: subject key -> sequences.
  absl::flat_hash_map<std::string, absl::flat_hash_set<uint64_t>>
      deleted_entries_;
  absl::flat_hash_map<std::string, uint64_t> cursors_;
  absl::flat_hash_map<std::string, std::string> meta_;  // written here
  // Newest-of-partner pointers written (value) or deleted (nullopt) in this
  // group, by SubjectPartnerKey.
  absl::flat_hash_map<std::string, std::optional<uint64_t>> newest_of_partner_;
  // Data keys written (value) or deleted (nullopt) in this group.
  absl::flat_hash_map<std::string, std::optional<v1::storage::WrappedDataKey>>
      data_keys_;
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_COMMIT_CONTEXT_H_
