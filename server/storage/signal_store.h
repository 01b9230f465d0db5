#ifndef KETENHUB_SERVER_STORAGE_SIGNAL_STORE_H_
#define KETENHUB_SERVER_STORAGE_SIGNAL_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "ketenhub/v1/audit.pb.h"
#include "ketenhub/v1/signal.pb.h"
#include "ketenhub/v1/storage.pb.h"
#include "server/storage/audit_query.h"

namespace rocksdb {
class Env;
}

namespace ketenhub {

// One accepted, validated signal on its way to disk.
struct SubmitCommand {
  std::string partner_id;      // the source partner, from its certificate
  v1::Signal signal;           // validated by the caller
  std::string subject_key;     // the subject's pseudonym
  std::string policy_version;  // the policy it was accepted under
  std::vector<std::string> receivers;  // chain directors its routes name
  uint32_t match_window_days = 730;    // how long it stays matchable
  uint32_t retention_days = 1825;      // when it is destroyed
  // The audit record to write with it; the store sets the outcome, subject
  // pseudonym, signal id, index and end time.
  v1::AuditRecord audit;
};

// Callbacks run exactly once, on the commit pipeline's thread (or, for a
// request refused before it is queued, on the caller's): they must not
// block. A result is sent only after its writes are fsynced.
using ReceiptCallback =
    absl::AnyInvocable<void(absl::StatusOr<v1::Receipt>) &&>;
using SignalCallback =
    absl::AnyInvocable<void(absl::StatusOr<v1::storage::StoredSignal>) &&>;
using CursorCallback = absl::AnyInvocable<void(absl::StatusOr<uint64_t>) &&>;
using StatusCallback = absl::AnyInvocable<void(absl::Status) &&>;
using CountCallback = absl::AnyInvocable<void(absl::StatusOr<uint64_t>) &&>;
using DestroyCallback = absl::AnyInvocable<
    void(absl::StatusOr<std::vector<v1::storage::StoredSignal>>) &&>;

// Signals to crypto-shred, for retention or for a person's erasure.
struct DestroyCommand {
  std::vector<std::string> signal_ids;
  // Also every signal of this subject (the subject index, as the commit
  // sees it; no content is read).
  std::string subject_key;
  // Erasure when set (rule "erasure: <reason>"; withdrawn events; one audit
  // record); else retention (each signal only when due at `as_of`; expired
  // events; one audit record per signal).
  std::string erasure_reason;
  absl::Time as_of;
  v1::AuditRecord audit;  // draft
};

// Durable storage of signals, of the chain directors' event log and of the
// audit trail. Writes go through one commit pipeline that groups concurrent
// requests into one synced WriteBatch. Thread-safe.
//
// Every write takes an audit record (a draft: operation, actor, trace,
// times, ...) and appends it, completed with the outcome, in the same batch
// as the change, refusals included: if the batch cannot be written, neither
// happens and the callback gets UNAVAILABLE.
//
// A submit appends a "received" event for its receivers (none when no route
// covers it), and a "match" event when the subject now has active signals from
// a partner that had none before plus at least one other partner.
class SignalStore {
 public:
  struct Options {
    std::string path;             // the RocksDB directory
    size_t max_group_size = 256;  // requests per WriteBatch
    rocksdb::Env* env = nullptr;  // for fault injection in tests; not owned
    // The key-encryption keys (KekRing); default: keys/kek next to `path`.
    std::string kek_dir = "";
  };

  // Opens (creating if needed) the store and starts its commit pipeline.
  // Fails with UNAVAILABLE, DATA_LOSS or FAILED_PRECONDITION (foreign schema).
  static absl::StatusOr<std::unique_ptr<SignalStore>> Open(
      const Options& options);

  virtual ~SignalStore() = default;

  // Stores the signal; a replay of the partner's client_ref with equal
  // content gets the original receipt. ALREADY_EXISTS when the client_ref was
  // used for other content; UNAVAILABLE on storage trouble or when closed.
  virtual void Submit(SubmitCommand command, ReceiptCallback done) = 0;

  // Withdraw, Decide and Release answer with the changed record: its
  // metadata, without the content (which they leave sealed).
  // Marks `partner_id`'s own signal withdrawn and appends a withdrawn event.
  // NOT_FOUND (not its signal), FAILED_PRECONDITION (already withdrawn).
  virtual void Withdraw(std::string partner_id, std::string signal_id,
                        std::string reason, v1::AuditRecord audit,
                        SignalCallback done) = 0;

  // Records `receiver`'s triage decision. NOT_FOUND when the signal is not
  // routed to `receiver`; FAILED_PRECONDITION when it was withdrawn.
  virtual void Decide(std::string receiver, std::string signal_id,
                      v1::Decision decision, v1::AuditRecord audit,
                      SignalCallback done) = 0;

  // Records that `kind` of the signal is released to `receiver` (the caller
  // checked that the route allows it). NOT_FOUND as Decide.
  virtual void Release(std::string receiver, std::string signal_id,
                       v1::DataKind kind, v1::AuditRecord audit,
                       SignalCallback done) = 0;

  // Stores `subscriber`'s position: the larger of `cursor` and the stored
  // one. INVALID_ARGUMENT when `cursor` is beyond the last event.
  virtual void Ack(std::string subscriber, uint64_t cursor,
                   v1::AuditRecord audit, CursorCallback done) = 0;

  // Appends complete audit records (reads, deliveries, refusals, queries,
  // reloads) on their own; `done` gets OK once they are on disk.
  virtual void Record(std::vector<v1::AuditRecord> records,
                      StatusCallback done) = 0;

  // Stores a signed audit tree head, for offline verification.
  virtual void StoreCheckpoint(v1::SignedCheckpoint checkpoint,
                               StatusCallback done) = 0;

  // The committed audit tree.
  struct AuditTreeHead {
    uint64_t size = 0;
    std::string root;  // RFC 6962 MTH, 32 bytes
  };
  virtual AuditTreeHead AuditHead() const = 0;
  // The stored checkpoint of the largest tree, or nullopt when none is.
  virtual absl::StatusOr<std::optional<v1::SignedCheckpoint>> LastCheckpoint()
      const = 0;

  // Committed audit records matching `filter` with index >= `from_index`, in
  // index (= time) order: at most `max`, from a scan of at most `max_scanned`
  // records. `next_index` is where to resume, or nullopt at the end.
  virtual absl::StatusOr<AuditPage> QueryAudit(const AuditFilter& filter,
                                               uint64_t from_index, size_t max,
                                               size_t max_scanned) const = 0;

  // The stored bytes of record `index` (an AuditRecord: its leaf).
  // OUT_OF_RANGE beyond the committed tree.
  virtual absl::StatusOr<std::string> ReadAuditRecord(uint64_t index) const = 0;

  // RFC 6962 proofs over the committed tree; OUT_OF_RANGE for sizes beyond
  // it, INVALID_ARGUMENT for impossible index/size pairs.
  virtual absl::StatusOr<std::vector<std::string>> AuditInclusionProof(
      uint64_t index, uint64_t tree_size) const = 0;
  virtual absl::StatusOr<std::vector<std::string>> AuditConsistencyProof(
      uint64_t old_size, uint64_t new_size) const = 0;

  // Reads a signal. NOT_FOUND when there is none.
  virtual absl::StatusOr<v1::storage::StoredSignal> GetSignal(
      absl::string_view signal_id) const = 0;
  // GetSignal for many signals at once: one result per id, in that order.
  virtual std::vector<absl::StatusOr<v1::storage::StoredSignal>> GetSignals(
      absl::Span<const std::string> signal_ids) const = 0;
  // Reads a signal's record without decrypting its content: its state,
  // source, subject key and times are there, its `signal` is empty.
  // NOT_FOUND when there is none.
  virtual absl::StatusOr<v1::storage::StoredSignal> GetSignalRecord(
      absl::string_view signal_id) const = 0;

  // Returns `partner_id`'s own signal; NOT_FOUND both for unknown ids and for
  // other partners' signals.
  virtual absl::StatusOr<v1::storage::StoredSignal> GetOwnSignal(
      absl::string_view partner_id, absl::string_view signal_id) const = 0;

  // Committed events for `receiver` with cursor > `after`, in cursor order:
  // at most `max`, from a scan of at most 16 * `max` events. Events for others
  // are skipped; `scanned_to` says how far the scan got, the `after` for the
  // next call.
  struct EventPage {
    std::vector<v1::storage::StoredEvent> events;
    uint64_t scanned_to = 0;
  };
  virtual absl::StatusOr<EventPage> ReadEvents(absl::string_view receiver,
                                               uint64_t after,
                                               size_t max) const = 0;

  // The cursor of the last committed event (0 when none).
  virtual uint64_t LastCursor() const = 0;

  // False from a commit that could not be written until ProbeStorage
  // succeeds: readiness for the health service.
  virtual bool StorageWritable() const = 0;
  // Asks RocksDB to resume after a write error and makes one synced write of
  // a metadata key; when it lands, the store counts as writable again.
  // RocksDB resumes from some errors (such as a full disk during a flush);
  // after a failed write-ahead-log write it stays read-only until reopened,
  // so the probe keeps failing, with RocksDB's reason, until a restart.
  virtual absl::Status ProbeStorage() = 0;

  // `subscriber`'s acked cursor (0 when it never acked).
  virtual absl::StatusOr<uint64_t> AckedCursor(
      absl::string_view subscriber) const = 0;

  // Retention: the signals due for destruction at `as_of`, as stored
  // (content not decrypted). Scans every signal.
  virtual absl::StatusOr<std::vector<v1::storage::StoredSignal>> DueSignals(
      absl::Time as_of) const = 0;

  // Crypto-shreds: deletes each signal's data key and subject index entry,
  // leaves a tombstone that GetStatus reports, appends expired (retention) or
  // withdrawn (erasure) events and the audit records, in one batch.
  // Completes with the tombstones.
  virtual void Destroy(DestroyCommand command, DestroyCallback done) = 0;

  // The signals of one subject, content decrypted (destroyed ones are no
  // longer linked to it).
  virtual absl::StatusOr<std::vector<v1::storage::StoredSignal>> SubjectSignals(
      absl::string_view subject_key) const = 0;

  // Makes a new KEK current and re-wraps every data key under it, in batches
  // through the commit pipeline while other writes go on. Blocks until done:
  // call it from a worker thread. Returns the new KEK id and the number of
  // keys re-wrapped.
  struct Rotation {
    std::string kek_id;
    uint64_t rewrapped = 0;
    std::vector<std::string> unused_kek_ids;
  };
  virtual absl::StatusOr<Rotation> RotateKek() = 0;

  // Writes an online, consistent copy of the database to `dir` (which must
  // not exist) and verifies it: counts its signals and recomputes its audit
  // tree, checking stored checkpoints against `public_key_pem`.
  struct BackupInfo {
    uint64_t signals = 0;
    uint64_t audit_records = 0;
    std::string audit_root;
  };
  virtual absl::StatusOr<BackupInfo> Backup(
      const std::string& dir, absl::string_view public_key_pem) const = 0;

  // Binds the data to the pseudonym key with this check value: stored on
  // first use; FAILED_PRECONDITION when the data was written under another
  // key (matching and audit lookups would silently break).
  virtual absl::Status BindPseudonymKey(absl::string_view key_check) = 0;

  // Up to `max` signals no route covered, with sequence > `after_sequence`.
  virtual absl::StatusOr<std::vector<v1::storage::StoredSignal>> ListUnrouted(
      uint64_t after_sequence, size_t max) const = 0;

  // Calls `listener(last_cursor)` after every commit that appended events, on
  // the pipeline thread; it must not block. Replaces any earlier listener.
  virtual void SetEventListener(std::function<void(uint64_t)> listener) = 0;

  // Commits everything queued and stops the pipeline. Later writes are
  // refused with UNAVAILABLE; reads keep working. Idempotent.
  virtual void Close() = 0;
};

// Restores a backup made by SignalStore::Backup into `db_dir` (which must not
// exist; the hub is stopped), then verifies the copy as Backup did.
absl::StatusOr<SignalStore::BackupInfo> RestoreBackup(
    const std::string& backup_dir, const std::string& db_dir,
    absl::string_view public_key_pem);

// Offline re-keying of subject pseudonyms (hub stopped): gives every stored
// signal the subject key `new_key(its subject)` (decrypting the subject with
// the KEKs in `kek_dir`), moves its subject index entry, and records
// `new_key_check` as the key the data is bound to. Returns the number of
// signals re-keyed. Interrupted, it leaves a mix: restore the backup taken
// before and run it again.
absl::StatusOr<uint64_t> RekeySubjects(
    const std::string& db_path, const std::string& kek_dir,
    const std::function<absl::StatusOr<std::string>(const v1::Subject&)>&
        new_key,
    absl::string_view new_key_check);

// SHA-256 over the deterministic encoding of `signal`: equal for equal content.
std::string SignalContentHash(const v1::Signal& signal);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_SIGNAL_STORE_H_
