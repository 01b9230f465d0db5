#ifndef KETENHUB_SERVER_STORAGE_WORKLIST_H_
#define KETENHUB_SERVER_STORAGE_WORKLIST_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ketenhub/v1/chain_director.pb.h"
#include "ketenhub/v1/storage.pb.h"
#include "rocksdb/write_batch.h"
#include "server/storage/database.h"

namespace ketenhub {

// Internal to the storage layer: the worklist family, an index of each
// chain director's signals with their triage (StoredSignal.triage), which
// every write of a signal rewrites in its own batch.

// Puts `signal`'s entries (one per receiver) into `batch`.
void PutWorklistEntries(const Database& db,
                        const v1::storage::StoredSignal& signal,
                        rocksdb::WriteBatch& batch);
// Deletes them (a destroyed signal leaves the worklists).
void DeleteWorklistEntries(const Database& db,
                           const v1::storage::StoredSignal& signal,
                           rocksdb::WriteBatch& batch);

// `receiver`'s worklist, filtered and ordered as WorklistRequest says,
// items [offset, offset + limit). The caller checked `request`'s fields;
// NOT_FOUND "person_of: ..." when that signal is not in this worklist.
absl::StatusOr<v1::WorklistResponse> ListWorklist(
    const Database& db, absl::string_view receiver,
    const v1::WorklistRequest& request, size_t offset, size_t limit);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_WORKLIST_H_
