#include "server/policy/triage.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "server/common/status_macros.h"

namespace ketenhub {
namespace {

using Action = TriageStep::Action;

absl::Status NotFrom(v1::TriageState state, absl::string_view what) {
  return absl::FailedPreconditionError(absl::StrCat(
      "signal_id: ", TriageStateWord(state), " in the worklist; ", what));
}

}  // namespace

absl::string_view TriageStateWord(v1::TriageState state) {
  switch (state) {
    case v1::TRIAGE_STATE_IN_TRIAGE:
      return "in triage";
    case v1::TRIAGE_STATE_DECIDED:
      return "decided";
    case v1::TRIAGE_STATE_CLOSED:
      return "closed";
    case v1::TRIAGE_STATE_HANDED_OVER:
      return "handed over";
    default:
      return "new";
  }
}

absl::Status ApplyTriage(const TriageStep& step, bool withdrawn,
                         v1::Triage& triage) {
  v1::TriageState state = triage.state() == v1::TRIAGE_STATE_UNSPECIFIED
                              ? v1::TRIAGE_STATE_NEW
                              : triage.state();
  const bool closed = state == v1::TRIAGE_STATE_CLOSED;
  const bool handed = state == v1::TRIAGE_STATE_HANDED_OVER;
  constexpr absl::string_view kWithOther =
      "it is with the other receiver until they hand it back";
  v1::TriageState next = state;
  std::string assignee = triage.assignee();
  switch (step.action) {
    case Action::kAssign:
      if (closed) return NotFrom(state, "reopen it first, with a reason");
      if (handed) return NotFrom(state, kWithOther);
      if (state == v1::TRIAGE_STATE_NEW) next = v1::TRIAGE_STATE_IN_TRIAGE;
      assignee = step.assignee;
      break;
    case Action::kDecide:
      if (closed) return NotFrom(state, "reopen it first, with a reason");
      if (handed) return NotFrom(state, kWithOther);
      next = v1::TRIAGE_STATE_DECIDED;
      if (assignee.empty()) assignee = step.person;
      break;
    case Action::kClose:
      if (closed) return NotFrom(state, "it is closed already");
      if (state != v1::TRIAGE_STATE_DECIDED && !handed && !withdrawn)
        return NotFrom(state, "decide before closing");
      next = v1::TRIAGE_STATE_CLOSED;
      break;
    case Action::kReopen:
      if (!closed) return NotFrom(state, "only a closed signal is reopened");
      next = v1::TRIAGE_STATE_IN_TRIAGE;
      assignee = step.person;
      break;
    case Action::kHandOver:
      if (withdrawn) {
        return absl::FailedPreconditionError(
            "signal_id: withdrawn by its source; close it instead");
      }
      if (closed) return NotFrom(state, "reopen it first, with a reason");
      if (handed) return NotFrom(state, "it is handed over already");
      next = v1::TRIAGE_STATE_HANDED_OVER;
      break;
  }
  triage.set_state(next);
  triage.set_assignee(assignee);
  triage.set_changed_by(step.person);
  const bool with_reason = step.action == Action::kClose ||
                           step.action == Action::kReopen ||
                           step.action == Action::kHandOver;
  triage.set_reason(with_reason ? step.reason : "");
  *triage.mutable_changed_at() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
          absl::ToUnixNanos(step.now));
  return absl::OkStatus();
}

absl::Status ApplyTriageTo(const TriageStep& step, absl::string_view receiver,
                           v1::storage::StoredSignal& signal) {
  v1::Triage triage = TriageOf(signal, receiver);
  KETENHUB_RETURN_IF_ERROR(
      ApplyTriage(step, signal.state() == v1::SIGNAL_STATE_WITHDRAWN, triage));
  if (step.action == Action::kHandOver) {
    const auto& receivers = signal.receivers();
    if (step.to == receiver || std::find(receivers.begin(), receivers.end(),
                                         step.to) == receivers.end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "to: the signal was not routed to '", step.to,
          "' when it arrived; only a receiver of it can take it over"));
    }
    v1::HandOver hand_over;
    hand_over.set_from(std::string(receiver));
    hand_over.set_to(step.to);
    hand_over.set_by(step.person);
    *hand_over.mutable_at() = triage.changed_at();
    hand_over.set_reason(step.reason);
    *triage.mutable_hand_over() = hand_over;
    v1::Triage& taker = MutableTriageOf(signal, step.to);
    if (taker.state() != v1::TRIAGE_STATE_IN_TRIAGE) {
      taker.set_state(v1::TRIAGE_STATE_NEW);
      taker.clear_assignee();
    }
    taker.set_changed_by(step.person);
    *taker.mutable_changed_at() = triage.changed_at();
    taker.set_reason(step.reason);
    *taker.mutable_hand_over() = std::move(hand_over);
  }
  MutableTriageOf(signal, receiver) = std::move(triage);
  return absl::OkStatus();
}

v1::Triage TriageOf(const v1::storage::StoredSignal& signal,
                    absl::string_view receiver) {
  for (const v1::storage::ReceiverTriage& entry : signal.triage()) {
    if (entry.receiver() == receiver) return entry.triage();
  }
  v1::Triage triage;
  triage.set_state(v1::TRIAGE_STATE_NEW);
  return triage;
}

v1::WorkItem WorkItemOf(const v1::storage::StoredSignal& signal,
                        absl::string_view receiver) {
  v1::WorkItem item;
  item.set_signal_id(signal.signal_id());
  item.set_source_partner(signal.source_partner());
  item.set_category(signal.signal().category());
  item.set_urgency(signal.signal().urgency());
  *item.mutable_received_at() = signal.received_at();
  item.set_signal_state(signal.state());
  *item.mutable_triage() = TriageOf(signal, receiver);
  return item;
}

v1::Triage& MutableTriageOf(v1::storage::StoredSignal& signal,
                            absl::string_view receiver) {
  for (v1::storage::ReceiverTriage& entry : *signal.mutable_triage()) {
    if (entry.receiver() == receiver) return *entry.mutable_triage();
  }
  v1::storage::ReceiverTriage* entry = signal.add_triage();
  entry->set_receiver(std::string(receiver));
  entry->mutable_triage()->set_state(v1::TRIAGE_STATE_NEW);
  return *entry->mutable_triage();
}

}  // namespace ketenhub
