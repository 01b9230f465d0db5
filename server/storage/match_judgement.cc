#include "server/storage/match_judgement.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/audit/audit_record.h"
#include "server/common/status_macros.h"
#include "server/storage/commit_context.h"
#include "server/storage/possible_match.h"

namespace ketenhub {
namespace {

using v1::storage::StoredEvent;
using v1::storage::StoredSignal;

bool SharesIdentifier(const StoredSignal& a, const StoredSignal& b) {
  for (const v1::storage::IdentifierKey& mine : a.identifier_keys()) {
    for (const v1::storage::IdentifierKey& theirs : b.identifier_keys()) {
      if (mine.kind() == theirs.kind() && mine.key() == theirs.key())
        return true;
    }
  }
  return false;
}

class JudgeMatchMutation final : public Mutation {
 public:
  JudgeMatchMutation(JudgeMatchCommand command, LinkedCallback done)
      : command_(std::move(command)), done_(std::move(done)) {}

  void Apply(CommitContext& context) override {
    v1::AuditRecord audit = std::move(command_.audit);
    audit.add_signal_ids(command_.signal_id);
    audit.add_signal_ids(command_.other_signal_id);
    (*audit.mutable_details())["confirm"] = command_.confirm ? "true" : "false";
    result_ = Judge(context, audit);
    if (result_.ok() && command_.confirm) {
      (*audit.mutable_details())["linked"] = absl::StrCat(result_->size());
    }
    SetAuditOutcome(result_.status(), &audit);
    context.AppendAudit(std::move(audit));
  }

  void Complete(const absl::Status& written) override {
    std::move(done_)(!written.ok()
                         ? absl::StatusOr<std::vector<std::string>>(written)
                         : std::move(result_));
  }

 private:
  // The record of `signal_id`, if `receiver` receives it and it lives.
  absl::StatusOr<StoredSignal> Read(CommitContext& context,
                                    const std::string& signal_id,
                                    const char* field) const {
    absl::StatusOr<StoredSignal> signal = context.ReadSignalRecord(signal_id);
    const auto& receivers =
        signal.ok() ? signal->receivers()
                    : google::protobuf::RepeatedPtrField<std::string>();
    if (absl::IsNotFound(signal.status()) ||
        (signal.ok() && std::find(receivers.begin(), receivers.end(),
                                  command_.receiver) == receivers.end())) {
      return absl::NotFoundError(absl::StrCat(field, ": no such signal"));
    }
    if (signal.ok() && signal->state() == v1::SIGNAL_STATE_DESTROYED) {
      return absl::FailedPreconditionError(
          absl::StrCat(field, ": destroyed (retention or erasure)"));
    }
    return signal;
  }

  absl::StatusOr<std::vector<std::string>> Judge(CommitContext& context,
                                                 v1::AuditRecord& audit) {
    absl::StatusOr<StoredSignal> first =
        Read(context, command_.signal_id, "signal_id");
    if (!first.ok()) return first.status();
    audit.set_data_subject_pseudonym(SubjectPseudonym(first->subject_key()));
    absl::StatusOr<StoredSignal> second =
        Read(context, command_.other_signal_id, "other_signal_id");
    if (!second.ok()) return second.status();
    if (first->subject_key() == second->subject_key()) {
      return absl::FailedPreconditionError(
          "other_signal_id: already about the same person");
    }
    if (!SharesIdentifier(*first, *second)) {
      return absl::FailedPreconditionError(
          "other_signal_id: shares no identifier (phone, e-mail, address, "
          "alias, advert) with signal_id: no possible match to judge");
    }
    // A person is known when one of its signals names it (an unknown
    // signal linked by an earlier confirmation counts with its person).
    absl::StatusOr<bool> first_known = PersonKnown(context, *first);
    if (!first_known.ok()) return first_known.status();
    absl::StatusOr<bool> second_known = PersonKnown(context, *second);
    if (!second_known.ok()) return second_known.status();
    if (command_.confirm && *first_known && *second_known) {
      return absl::FailedPreconditionError(
          "confirm: both signals are about a person named by BSN or by name "
          "and date of birth, and not the same one; they cannot be linked");
    }
    Note(*first, command_.other_signal_id);
    Note(*second, command_.signal_id);
    if (!command_.confirm) {
      context.PutSignal(*first, nullptr);
      context.PutSignal(*second, nullptr);
      return std::vector<std::string>();
    }
    // The unknown person joins the known one; of two unknown ones, the
    // first signal's joins the other's.
    StoredSignal& moving = *first_known ? *second : *first;
    StoredSignal& staying = &moving == &*first ? *second : *first;
    const std::string from = moving.subject_key();
    const std::string to = staying.subject_key();
    absl::StatusOr<std::vector<v1::storage::SubjectIndexEntry>> joining =
        context.SubjectEntries(from);
    if (!joining.ok()) return joining.status();
    context.PutSignal(staying, nullptr);
    KETENHUB_RETURN_IF_ERROR(context.MoveToSubject(moving, to));
    for (const v1::storage::SubjectIndexEntry& entry : *joining) {
      if (entry.signal_id() == moving.signal_id()) continue;
      absl::StatusOr<StoredSignal> other =
          context.ReadSignalRecord(entry.signal_id());
      if (!other.ok()) return other.status();
      KETENHUB_RETURN_IF_ERROR(context.MoveToSubject(*other, to));
    }
    absl::StatusOr<std::vector<v1::storage::SubjectIndexEntry>> person =
        context.SubjectEntries(to);
    if (!person.ok()) return person.status();
    // The stream learns that these signals are now one person.
    StoredEvent event;
    std::vector<std::string> linked;
    for (const v1::storage::SubjectIndexEntry& entry : *person) {
      linked.push_back(entry.signal_id());
      AddMatched(entry, event);
    }
    if (event.receivers_size() > 0) context.AppendEvent(std::move(event));
    return linked;
  }

  // Whether `signal`'s person is named by a BSN or a name in any of its
  // signals.
  static absl::StatusOr<bool> PersonKnown(CommitContext& context,
                                          const StoredSignal& signal) {
    if (!signal.person_unknown()) return true;
    absl::StatusOr<std::vector<v1::storage::SubjectIndexEntry>> person =
        context.SubjectEntries(signal.subject_key());
    if (!person.ok()) return person.status();
    for (const v1::storage::SubjectIndexEntry& entry : *person) {
      absl::StatusOr<StoredSignal> record =
          context.ReadSignalRecord(entry.signal_id());
      if (!record.ok()) return record.status();
      if (!record->person_unknown()) return true;
    }
    return false;
  }

  void Note(StoredSignal& signal, const std::string& other) const {
    v1::MatchJudgement& judgement = *signal.add_match_judgements();
    judgement = command_.judgement;
    judgement.set_other_signal_id(other);
    judgement.set_confirmed(command_.confirm);
  }

  JudgeMatchCommand command_;
  LinkedCallback done_;
  absl::StatusOr<std::vector<std::string>> result_ =
      absl::InternalError("not applied");
};

}  // namespace

std::unique_ptr<Mutation> MakeJudgeMatchMutation(JudgeMatchCommand command,
                                                 LinkedCallback done) {
  return std::make_unique<JudgeMatchMutation>(std::move(command),
                                              std::move(done));
}

}  // namespace ketenhub
