#ifndef KETENHUB_SERVER_STORAGE_AUDIT_LOG_H_
#define KETENHUB_SERVER_STORAGE_AUDIT_LOG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "server/storage/audit_query.h"
#include "server/storage/database.h"

namespace ketenhub {

// Internal to the storage layer: reads of the audit trail behind SignalStore.
// `committed` is the committed tree size; later records are not visible.

// SignalStore::QueryAudit.
absl::StatusOr<AuditPage> QueryAuditLog(const Database& database,
                                        uint64_t committed,
                                        const AuditFilter& filter,
                                        uint64_t from_index, size_t max,
                                        size_t max_scanned);

// The stored bytes of record `index`; DATA_LOSS when missing.
absl::StatusOr<std::string> ReadAuditLeaf(const Database& database,
                                          uint64_t index);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_AUDIT_LOG_H_
