#ifndef KETENHUB_SERVER_POLICY_RECEIVER_SHARE_H_
#define KETENHUB_SERVER_POLICY_RECEIVER_SHARE_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "ketenhub/v1/chain_director.pb.h"
#include "ketenhub/v1/storage.pb.h"

namespace ketenhub {

// Each receiver of a signal (the chain director, the care coordinator) has
// its own share of it: its releases and its decisions. A record that names
// no receiver dates from before a signal could have two, and belongs to the
// signal's first receiver.

// The receiver `recorded` stands for in `signal`.
absl::string_view ReceiverOf(const v1::storage::StoredSignal& signal,
                             absl::string_view recorded);

// `receiver`'s two-stage release of `kind`, or null when it has none. A
// kind in the old released_kinds without a release record counts for the
// first receiver, with an empty release.
const v1::SectionRelease* ReleaseTo(const v1::storage::StoredSignal& signal,
                                    absl::string_view receiver,
                                    v1::DataKind kind);

// `receiver`'s decisions, oldest first (the last is in force).
std::vector<const v1::Decision*> DecisionsOf(
    const v1::storage::StoredSignal& signal, absl::string_view receiver);

// Every decision of every receiver, oldest first, each naming its receiver.
std::vector<v1::Decision> AllDecisions(const v1::storage::StoredSignal& signal);

// Care outcomes are a care coordinator's; the others a chain director's.
bool IsCareOutcome(v1::Outcome outcome);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_POLICY_RECEIVER_SHARE_H_
