#ifndef KETENHUB_SERVER_STORAGE_KEYS_H_
#define KETENHUB_SERVER_STORAGE_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

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
// The default column family holds metadata such as kSchemaVersionKey.
inline constexpr char kSchemaVersionKey[] = "meta/schema_version";
inline constexpr char kSchemaVersion[] = "3";

// 8-byte big-endian sequence: keys sort in commit order.
std::string EncodeSequence(uint64_t sequence);
std::optional<uint64_t> DecodeSequence(absl::string_view key);

std::string IdempotencyKey(absl::string_view partner_id,
                           absl::string_view client_ref);
std::string SubjectIndexKey(absl::string_view subject_key, uint64_t sequence);

}  // namespace ketenhub::storage_keys

#endif  // KETENHUB_SERVER_STORAGE_KEYS_H_
