#ifndef KETENHUB_SERVER_STORAGE_KEYS_H_
#define KETENHUB_SERVER_STORAGE_KEYS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "ketenhub/v1/audit.pb.h"

// Internal to the storage layer (and its tests): column families and keys.
namespace ketenhub::storage_keys {

// Column families. Values are ketenhub.v1.storage records unless noted.
inline constexpr char kSignals[] = "signals";       // seq -> StoredSignal
inline constexpr char kSignalIds[] = "signal_ids";  // id -> seq
inline constexpr char kIdempotency[] =
    "idempotency";  // partner\0ref -> IdempotencyRecord
inline constexpr char kSubjectIndex[] =
    "subject_index";                         // key seq -> SubjectIndexEntry
inline constexpr char kEvents[] = "events";  // cursor -> StoredEvent
inline constexpr char kCursors[] =
    "cursors";  // subscriber partner id -> acked cursor
inline constexpr char kAudit[] = "audit";  // index -> AuditRecord (leaf)
inline constexpr char kAuditTree[] =
    "audit_tree";  // AuditNodeKey -> 32-byte hash
inline constexpr char kAuditIndex[] =
    "audit_index";  // AuditSubjectKey / AuditSignalKey -> empty
inline constexpr char kAuditCheckpoints[] =
    "audit_checkpoints";  // tree size -> SignedCheckpoint
inline constexpr char kDataKeys[] = "data_keys";  // signal id -> WrappedDataKey
// SubjectPartnerKey -> the sequence of that partner's newest signal about the
// subject (EncodeSequence). A pointer that matching checks against the
// subject index: missing or stale, matching reads the index instead. Added
// after schema 4 without a migration: it starts empty and fills.
inline constexpr char kSubjectPartners[] = "subject_partners";
// WorklistKey -> WorklistEntry: each chain director's worklist, rewritten
// with its signal. Added after schema 4: an open that finds
// kWorklistBuiltKey missing fills it from the signals.
inline constexpr char kWorklist[] = "worklist";
// The default column family holds metadata such as kSchemaVersionKey.
inline constexpr char kSchemaVersionKey[] = "meta/schema_version";
inline constexpr char kPseudonymKeyCheckKey[] = "meta/pseudonym_key_check";
// Written by the storage probe after a failed write (its time, as text).
inline constexpr char kStorageProbeKey[] = "meta/storage_probe";
// KEK ids the operator declared lost (--replace-lost-kek), comma-separated:
// data keys under them no longer stop the hub.
inline constexpr char kLostKeksKey[] = "meta/lost_keks";
inline constexpr char kWorklistBuiltKey[] = "meta/worklist_built";
// Then a witness key id: that witness's newest Cosignature.
inline constexpr char kCosignaturePrefix[] = "meta/cosignature/";
// Then a request id: a four-eyes request (StoredSubjectRequest).
inline constexpr char kSubjectRequestPrefix[] = "meta/subject_request/";
// 4 added the audit families and encrypted payloads (data_keys) to 3; the
// upgrade encrypts the stored signals, and the audit trail starts there.
inline constexpr char kSchemaVersion[] = "4";
inline constexpr char kPreviousSchemaVersion[] = "3";

}  // namespace ketenhub::storage_keys

namespace ketenhub {

// The column families, in the order they are opened (names and contents
// above).
enum class Family : size_t {
  kDefault,  // metadata: the schema version, the pseudonym key check
  kSignals,
  kSignalIds,
  kIdempotency,
  kSubjectIndex,
  kEvents,
  kCursors,
  kAudit,
  kAuditTree,
  kAuditIndex,
  kAuditCheckpoints,
  kDataKeys,
  kSubjectPartners,
  kWorklist,
  kCount,
};

}  // namespace ketenhub

namespace ketenhub::storage_keys {

// 8-byte big-endian sequence: keys sort in commit order.
std::string EncodeSequence(uint64_t sequence);
std::optional<uint64_t> DecodeSequence(absl::string_view key);

std::string IdempotencyKey(absl::string_view partner_id,
                           absl::string_view client_ref);
// A subject key is an HMAC-SHA256: the subject index's keys start with it.
inline constexpr size_t kSubjectKeyBytes = 32;
std::string SubjectIndexKey(absl::string_view subject_key, uint64_t sequence);
std::string SubjectPartnerKey(absl::string_view subject_key,
                              absl::string_view partner_id);

// A receiver's worklist entries start with WorklistPrefix(receiver), then
// EncodeSequence(sequence of the signal).
std::string WorklistPrefix(absl::string_view receiver);

// A perfect Merkle subtree: level byte, then index.
std::string AuditNodeKey(int level, uint64_t index);
// Secondary indexes of audit records: by subject, by signal id.
std::string AuditSubjectPrefix(absl::string_view subject_key);
std::string AuditSignalPrefix(absl::string_view signal_id);
// By the acting person (AuditRecord.acting_user_id).
std::string AuditUserPrefix(absl::string_view user_id);
// The audit index keys of `record` (its index set): one for its subject,
// one per signal id, one for its acting person; each a prefix above, then
// EncodeSequence(index).
std::vector<std::string> AuditIndexKeys(const v1::AuditRecord& record);

}  // namespace ketenhub::storage_keys

#endif  // KETENHUB_SERVER_STORAGE_KEYS_H_
