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
//   decided | handed over -close-> closed
//   closed -reopen-> in triage (the reopener's)
//   new | in triage | decided -hand over-> handed over (and, in the other
//     receiver's worklist, new, or still in triage)
// A signal its source withdrew can no longer be decided or handed over; it
// may be closed from any state. A decided signal may be assigned (its
// follow-up changes hands) and stays decided.
struct TriageStep {
  enum class Action { kAssign, kDecide, kClose, kReopen, kHandOver };
  Action action = Action::kAssign;
  std::string person = {};    // keten-user of the caller: changed_by
  std::string assignee = {};  // kAssign only
  // kClose, kReopen and kHandOver: required by the caller.
  std::string reason = {};
  std::string to = {};  // kHandOver: the receiver it goes to
  absl::Time now = absl::UnixEpoch();
};

// Applies `step` to `triage` (changed_by, changed_at, reason; the reason of
// an assignment or decision is empty). FAILED_PRECONDITION naming the state
// when the step is not allowed from it; `triage` is then unchanged.
absl::Status ApplyTriage(const TriageStep& step, bool withdrawn,
                         v1::Triage& triage);

// Applies `step` to `receiver`'s triage of `signal` (ApplyTriage); a
// hand-over also gives the signal to `step.to`: FAILED_PRECONDITION when
// `step.to` is not among the signal's receivers. `signal` is unchanged on
// error.
absl::Status ApplyTriageTo(const TriageStep& step, absl::string_view receiver,
                           v1::storage::StoredSignal& signal);

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

// "new", "in triage", "decided", "closed", "handed over": for messages.
absl::string_view TriageStateWord(v1::TriageState state);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_POLICY_TRIAGE_H_
