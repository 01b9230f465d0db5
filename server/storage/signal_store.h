#ifndef KETENHUB_SERVER_STORAGE_SIGNAL_STORE_H_
#define KETENHUB_SERVER_STORAGE_SIGNAL_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "ketenhub/v1/audit.pb.h"
#include "ketenhub/v1/chain_director.pb.h"
#include "ketenhub/v1/signal.pb.h"
#include "ketenhub/v1/storage.pb.h"
#include "server/crypto/pkcs11_token.h"
#include "server/policy/triage.h"
#include "server/storage/audit_trail.h"
#include "server/storage/store_maintenance.h"
#include "server/storage/subject_request_store.h"

namespace rocksdb {
class Env;
}

namespace ketenhub {

// One accepted, validated signal on its way to disk.
struct SubmitCommand {
  std::string partner_id;   // the source partner, from its certificate
  v1::Signal signal;        // validated by the caller
  std::string subject_key;  // the subject's pseudonym
  // The pseudonyms of its weak identifiers (phone, alias, ...).
  std::vector<v1::storage::IdentifierKey> identifier_keys;
  // The subject had weak identifiers alone: subject_key is random.
  bool person_unknown = false;
  std::string policy_version;          // the policy it was accepted under
  std::vector<std::string> receivers;  // chain directors its routes name
  uint32_t match_window_days = 730;    // how long it stays matchable
  uint32_t retention_days = 1825;      // when it is destroyed
  // The audit record to write with it; the store sets the outcome, subject
  // pseudonym, signal id, index and end time.
  v1::AuditRecord audit;
};

// A person's judgement of a possible match (SignalStore::JudgeMatch).
struct JudgeMatchCommand {
  std::string receiver;  // the caller's organisation: both signals its
  std::string signal_id;
  std::string other_signal_id;
  bool confirm = false;
  v1::MatchJudgement judgement;  // when, by whom, why (the store adds the rest)
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
using CountCallback = absl::AnyInvocable<void(absl::StatusOr<uint64_t>) &&>;
using LinkedCallback =
    absl::AnyInvocable<void(absl::StatusOr<std::vector<std::string>>) &&>;

// Durable storage of signals and of the chain directors' event log, with its
// audit trail (audit()) and its maintenance (maintenance()) beside it, all in
// one RocksDB database. Writes go through one commit pipeline that groups
// concurrent requests into one synced WriteBatch. Thread-safe.
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
    // The operator's explicit --replace-lost-kek: open although stored data
    // keys are wrapped by KEKs that are missing (making a new current KEK
    // if none is left); the signals under the lost ones stay unreadable.
    // Otherwise that refuses the open with FAILED_PRECONDITION.
    bool accept_lost_keks = false;
    // New KEKs are made and used in this PKCS#11 token (KekRing).
    std::shared_ptr<Pkcs11Token> token;
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

  // Records `receiver`'s triage decision and moves the signal to decided in
  // its worklist (the person: the audit record's acting user). NOT_FOUND
  // when the signal is not routed to `receiver`; FAILED_PRECONDITION when it
  // was withdrawn or is closed in the worklist.
  virtual void Decide(std::string receiver, std::string signal_id,
                      v1::Decision decision, v1::AuditRecord audit,
                      SignalCallback done) = 0;

  // Records that `release.kind()` of the signal is released to `receiver`,
  // by whom and on what basis (the caller checked that the route allows
  // it). NOT_FOUND as Decide.
  virtual void Release(std::string receiver, std::string signal_id,
                       v1::SectionRelease release, v1::AuditRecord audit,
                       SignalCallback done) = 0;

  // Records a judgement of a possible match on both signals. Confirmed, the
  // unknown person's signals (of two unknown ones, the first signal's) join
  // the other person's, a match event names them all, and the result lists
  // them; dismissed, nothing is linked (empty result). NOT_FOUND for a
  // signal not routed to the receiver; FAILED_PRECONDITION when they share
  // no weak identifier, are one person already, or (to confirm) both
  // persons are named by BSN or name in one of their signals.
  virtual void JudgeMatch(JudgeMatchCommand command, LinkedCallback done) = 0;

  // A person's step in `receiver`'s worklist (policy/triage.h); NOT_FOUND
  // as Decide, FAILED_PRECONDITION for a step its state does not allow.
  virtual void Triage(std::string receiver, std::string signal_id,
                      TriageStep step, v1::AuditRecord audit,
                      SignalCallback done) = 0;
  // `receiver`'s worklist (storage/worklist.h, ListWorklist).
  virtual absl::StatusOr<v1::WorklistResponse> Worklist(
      absl::string_view receiver, const v1::WorklistRequest& request,
      size_t offset, size_t limit) const = 0;

  // Stores `subscriber`'s position: the larger of `cursor` and the stored
  // one. INVALID_ARGUMENT when `cursor` is beyond the last event.
  virtual void Ack(std::string subscriber, uint64_t cursor,
                   v1::AuditRecord audit, CursorCallback done) = 0;

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

  // `subscriber`'s acked cursor (0 when it never acked).
  virtual absl::StatusOr<uint64_t> AckedCursor(
      absl::string_view subscriber) const = 0;

  // The signals of one subject, content decrypted (destroyed ones are no
  // longer linked to it).
  // The subject index entries under `key` (a subject key, or a weak
  // identifier's key), oldest first; nothing is decrypted.
  virtual absl::StatusOr<std::vector<v1::storage::SubjectIndexEntry>>
  SubjectIndex(absl::string_view key) const = 0;
  virtual absl::StatusOr<std::vector<v1::storage::StoredSignal>> SubjectSignals(
      absl::string_view subject_key) const = 0;

  // Calls `visit` with every signal record, in sequence order, as stored:
  // sealed (the clear metadata only: client_ref, category, urgency,
  // municipality), nothing decrypted. For figures.
  virtual absl::Status ScanSignalRecords(
      absl::FunctionRef<void(const v1::storage::StoredSignal&)> visit)
      const = 0;

  // Up to `max` signals no route covered, with sequence > `after_sequence`.
  virtual absl::StatusOr<std::vector<v1::storage::StoredSignal>> ListUnrouted(
      uint64_t after_sequence, size_t max) const = 0;

  // Calls `listener(last_cursor)` after every commit that appended events, on
  // the pipeline thread; it must not block. Replaces any earlier listener.
  virtual void SetEventListener(std::function<void(uint64_t)> listener) = 0;

  // The store's audit trail and its operator's side; they live as long as
  // the store.
  virtual AuditTrail& audit() = 0;
  virtual const AuditTrail& audit() const = 0;
  virtual StoreMaintenance& maintenance() = 0;
  // The four-eyes requests on persons' whole files.
  virtual SubjectRequestStore& requests() = 0;

  // Commits everything queued and stops the pipeline. Later writes are
  // refused with UNAVAILABLE; reads keep working. Idempotent.
  virtual void Close() = 0;
};

// SHA-256 over the deterministic encoding of `signal`: equal for equal content.
std::string SignalContentHash(const v1::Signal& signal);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_SIGNAL_STORE_H_
