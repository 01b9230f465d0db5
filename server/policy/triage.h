#ifndef KETENHUB_SERVER_POLICY_TRIAGE_H_
#define KETENHUB_SERVER_POLICY_TRIAGE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ketenhub/v1/chain_director.pb.h"
#include "ketenhub/v1/storage.pb.h"

namespace ketenhub {

// A person's step in one organisation's worklist (chain_director.proto,
// TriageState):
//   new -assign-> in triage -assign-> in triage (a hand-over)
//   new | in triage | decided -decide-> decided
//   decided -close-> closed;  closed -reopen-> in triage (the reopener's)
// A signal its source withdrew can no longer be decided; it may be closed
// from any state. A decided signal may be assigned (its follow-up changes
// hands) and stays decided.
struct TriageStep {
  enum class Action { kAssign, kDecide, kClose, kReopen };
  Action action = Action::kAssign;
  std::string person = {};    // keten-user of the caller: changed_by
  std::string assignee = {};  // kAssign only
  std::string reason = {};    // kClose and kReopen: required by the caller
  absl::Time now = absl::UnixEpoch();
};

// Applies `step` to `triage` (changed_by, changed_at, reason; the reason of
// an assignment or decision is empty). FAILED_PRECONDITION naming the state
// when the step is not allowed from it; `triage` is then unchanged.
absl::Status ApplyTriage(const TriageStep& step, bool withdrawn,
                         v1::Triage& triage);

// `receiver`'s triage of `signal`: state new when it has none.
v1::Triage TriageOf(const v1::storage::StoredSignal& signal,
                    absl::string_view receiver);
// The entry for `receiver` in `signal`, added (new) when missing.
v1::Triage& MutableTriageOf(v1::storage::StoredSignal& signal,
                            absl::string_view receiver);

// `signal` as an item of `receiver`'s worklist, without its person group
// (which only the whole worklist knows).
v1::WorkItem WorkItemOf(const v1::storage::StoredSignal& signal,
                        absl::string_view receiver);

// "new", "in triage", "decided", "closed": for messages.
absl::string_view TriageStateWord(v1::TriageState state);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_POLICY_TRIAGE_H_
