#ifndef KETENHUB_SERVER_STORAGE_SIGNAL_MUTATIONS_H_
#define KETENHUB_SERVER_STORAGE_SIGNAL_MUTATIONS_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "server/storage/mutation.h"
#include "server/storage/signal_store.h"
#include "server/storage/subject_request_store.h"

namespace ketenhub {

// Internal to the storage layer: the mutations behind SignalStore's writes.
// Their behaviour is documented on the SignalStore methods.
// `sealed` is the new signal's record with its id and content (moved out of
// `command.signal`, which the mutation does not read) and, unless
// `data_key` is nullopt, its payload sealed under `data_key` (done on the
// caller's thread, so the pipeline thread only writes). `content_hash` is
// the content's, for idempotency. A signal whose client_ref the caller
// found already known comes unsealed: its replay needs no new payload.
std::unique_ptr<Mutation> MakeSubmitMutation(
    SubmitCommand command, v1::storage::StoredSignal sealed,
    std::optional<v1::storage::WrappedDataKey> data_key,
    std::string content_hash, ReceiptCallback done);

// A random (version 4) UUID for a new signal.
std::string NewSignalId();

// Changes one stored signal. A signal that `may_touch` refuses is NOT_FOUND
// whatever its state, so that its existence does not leak to another
// partner; one that is destroyed is FAILED_PRECONDITION. Otherwise `change`
// gets the current record (its metadata: the content stays sealed and is
// not in it) and either changes it (OK) or refuses; `event` (optional)
// builds the event to append. The result is the changed record, without
// content.
using SignalAccess = std::function<bool(const v1::storage::StoredSignal&)>;
using SignalChange = std::function<absl::Status(v1::storage::StoredSignal&)>;
using EventBuilder = std::function<bool(const v1::storage::StoredSignal&,
                                        v1::storage::StoredEvent&)>;
std::unique_ptr<Mutation> MakeSignalUpdate(
    std::string signal_id, SignalAccess may_touch, SignalChange change,
    EventBuilder event, v1::AuditRecord audit, SignalCallback done);

std::unique_ptr<Mutation> MakeAckMutation(std::string subscriber,
                                          uint64_t cursor,
                                          v1::AuditRecord audit,
                                          CursorCallback done);

// Crypto-shreds signals (SignalStore::SweepRetention, EraseSubject).
std::unique_ptr<Mutation> MakeDestroyMutation(DestroyCommand command,
                                              DestroyCallback done);

// Re-wraps the data keys of `signal_ids` under the ring's current KEK.
std::unique_ptr<Mutation> MakeRewrapMutation(
    const KekRing* keys, std::vector<std::string> signal_ids,
    CountCallback done);

// Appends `records` to the audit trail and nothing else.
std::unique_ptr<Mutation> MakeAuditOnlyMutation(
    std::vector<v1::AuditRecord> records, StatusCallback done);

// Stores a signed tree head.
std::unique_ptr<Mutation> MakeCheckpointWrite(v1::SignedCheckpoint checkpoint,
                                              StatusCallback done);

// Stores a witness's newest cosignature with its audit record;
// FAILED_PRECONDITION when the stored one covers a larger tree.
std::unique_ptr<Mutation> MakeCosignatureWrite(v1::Cosignature cosignature,
                                               v1::AuditRecord audit,
                                               StatusCallback done);

// Applies `change` to the stored four-eyes request in this group
// (subject_request_store.cc): writes and answers the request as changed, or
// answers the refusal and writes nothing.
absl::StatusOr<v1::storage::StoredSubjectRequest> ApplySubjectRequestChange(
    CommitContext& context, SubjectRequestChange& change);

// Deletes the cosignatures of `witness_key_ids`, with `audit`.
std::unique_ptr<Mutation> MakeCosignaturesForgotten(
    std::vector<std::string> witness_key_ids, v1::AuditRecord audit,
    StatusCallback done);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_SIGNAL_MUTATIONS_H_
