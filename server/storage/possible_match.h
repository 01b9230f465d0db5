#ifndef KETENHUB_SERVER_STORAGE_POSSIBLE_MATCH_H_
#define KETENHUB_SERVER_STORAGE_POSSIBLE_MATCH_H_

// Internal to the storage layer: match events, and the possible match a new
// signal's weak identifiers make.

#include <string>
#include <utility>
#include <vector>

#include "ketenhub/v1/storage.pb.h"
#include "server/storage/commit_context.h"

namespace ketenhub {

// Adds `entry`'s signal to the match `event`, and its receivers to the
// event's.
void AddMatched(const v1::storage::SubjectIndexEntry& entry,
                v1::storage::StoredEvent& event);

// The index entries under each of a new signal's weak identifiers, by kind.
using SharedIdentifiers = std::vector<
    std::pair<v1::IdentifierKind, std::vector<v1::storage::SubjectIndexEntry>>>;

// A possible match is news when another partner's active signal about
// another person (not `subject_key`: not already matched by BSN or name)
// shares a weak identifier with the new signal `added`, and its partner had
// no active signal sharing it yet. Appends one event naming every such
// signal and the kinds shared, never the values.
void AppendPossibleMatch(CommitContext& context,
                         const SharedIdentifiers& sharing,
                         const v1::storage::SubjectIndexEntry& added,
                         const std::string& subject_key);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_POSSIBLE_MATCH_H_
