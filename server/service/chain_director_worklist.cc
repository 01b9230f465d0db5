// A receiver's worklist: ChainDirectorService's Worklist, Assign, Close,
// Reopen, HandOver and JudgeMatch (registered in
// chain_director_service.cc).
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/audit/audit_record.h"
#include "server/common/identifiers.h"
#include "server/common/status_macros.h"
#include "server/policy/call_roles.h"
#include "server/policy/signal_validation.h"
#include "server/policy/triage.h"
#include "server/routing/release.h"
#include "server/service/acting_person.h"
#include "server/service/audited_call.h"
#include "server/service/chain_director_service.h"
#include "server/service/grpc_status.h"
#include "server/service/signal_service.h"
#include "server/storage/time_conversion.h"

namespace ketenhub {

namespace {

constexpr uint32_t kDefaultPageSize = 50;
constexpr uint32_t kMaxPageSize = 500;

absl::Status CheckWorklistRequest(const v1::WorklistRequest& request) {
  if (!v1::TriageState_IsValid(request.state()))
    return absl::InvalidArgumentError("state: must be a known triage state");
  if (!v1::Urgency_IsValid(request.urgency()))
    return absl::InvalidArgumentError("urgency: must be a known urgency");
  if (!v1::Category_IsValid(request.category()))
    return absl::InvalidArgumentError("category: must be a known category");
  if (!request.assignee().empty()) {
    KETENHUB_RETURN_IF_ERROR(CheckPersonId("assignee", request.assignee()));
  }
  if (!request.person_of().empty() && !IsSignalIdShape(request.person_of())) {
    return absl::InvalidArgumentError(
        "person_of: must be a signal id (a UUID)");
  }
  if (request.page_size() > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: at most ", kMaxPageSize));
  }
  return absl::OkStatus();
}

// The position a page token names: the token is the next page's offset.
absl::StatusOr<size_t> PageOffset(absl::string_view token) {
  if (token.empty()) return 0;
  size_t offset = 0;
  if (token.size() > 9 || !absl::SimpleAtoi(token, &offset)) {
    return absl::InvalidArgumentError(
        "page_token: not one the previous page gave");
  }
  return offset;
}

// A worklist step is a person's: the policy may not ask for one, the step
// still does.
absl::Status CheckPersonActs(const v1::AuditRecord& record) {
  if (!record.acting_user_id().empty()) return absl::OkStatus();
  return absl::UnauthenticatedError(absl::StrCat(
      kUserHeader, ": a worklist step must name the person taking it"));
}

}  // namespace

grpc::ServerUnaryReactor* ChainDirectorServiceImpl::HandleWorklist(
    UnaryCall& call, const v1::WorklistRequest& request,
    v1::WorklistResponse* response) {
  absl::Status valid = CheckWorklistRequest(request);
  absl::StatusOr<size_t> offset =
      valid.ok() ? PageOffset(request.page_token()) : valid;
  if (!offset.ok()) return call.Finish(offset.status());
  auto& details = *call.record().mutable_details();
  if (request.state() != v1::TRIAGE_STATE_UNSPECIFIED)
    details["state"] = v1::TriageState_Name(request.state());
  if (!request.assignee().empty()) details["assignee"] = request.assignee();
  if (!request.person_of().empty())
    call.record().add_signal_ids(request.person_of());
  const uint32_t size =
      request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  absl::StatusOr<v1::WorklistResponse> list =
      store_->Worklist(call.caller().partner->id(), request, *offset, size);
  if (list.ok()) {
    details["items"] = absl::StrCat(list->items_size());
    *response = *std::move(list);
  }
  return call.Finish(list.status());
}

grpc::ServerUnaryReactor* ChainDirectorServiceImpl::Step(
    UnaryCall& call, const std::string& signal_id, TriageStep step,
    v1::WorkItem* response) {
  absl::Status allowed = CheckSignalId(signal_id);
  if (allowed.ok()) allowed = CheckPersonActs(call.record());
  if (!allowed.ok()) return call.Finish(allowed);
  step.person = call.record().acting_user_id();
  step.now = absl::Now();
  const std::string receiver = call.caller().partner->id();
  store_->Triage(
      receiver, signal_id, std::move(step), call.record(),
      [reactor = call.reactor(), response, draft = call.record(),
       receiver](absl::StatusOr<v1::storage::StoredSignal> changed) mutable {
        if (changed.ok()) *response = WorkItemOf(*changed, receiver);
        LogOutcome(std::move(draft), changed.status(),
                   changed.ok() ? response->signal_id() : "");
        reactor->Finish(ToGrpcStatus(changed.status()));
      });
  return call.reactor();
}

grpc::ServerUnaryReactor* ChainDirectorServiceImpl::HandleAssign(
    UnaryCall& call, const v1::AssignRequest& request, v1::WorkItem* response) {
  if (absl::Status valid = CheckPersonId("assignee", request.assignee());
      !valid.ok()) {
    return call.Finish(valid);
  }
  (*call.record().mutable_details())["assignee"] = request.assignee();
  return Step(
      call, request.signal_id(),
      {.action = TriageStep::Action::kAssign, .assignee = request.assignee()},
      response);
}

grpc::ServerUnaryReactor* ChainDirectorServiceImpl::HandleClose(
    UnaryCall& call, const v1::CloseRequest& request, v1::WorkItem* response) {
  if (absl::Status valid =
          CheckRequiredText("reason", request.reason(), kMaxReasonBytes);
      !valid.ok()) {
    return call.Finish(valid);
  }
  return Step(
      call, request.signal_id(),
      {.action = TriageStep::Action::kClose, .reason = request.reason()},
      response);
}

grpc::ServerUnaryReactor* ChainDirectorServiceImpl::HandleReopen(
    UnaryCall& call, const v1::ReopenRequest& request, v1::WorkItem* response) {
  if (absl::Status valid =
          CheckRequiredText("reason", request.reason(), kMaxReasonBytes);
      !valid.ok()) {
    return call.Finish(valid);
  }
  return Step(
      call, request.signal_id(),
      {.action = TriageStep::Action::kReopen, .reason = request.reason()},
      response);
}

grpc::ServerUnaryReactor* ChainDirectorServiceImpl::HandleHandOver(
    UnaryCall& call, const v1::HandOverRequest& request,
    v1::WorkItem* response) {
  absl::Status allowed = CheckSignalId(request.signal_id());
  const v1::Partner* to = call.policy()->PartnerById(request.to());
  if (allowed.ok() && (to == nullptr || !CallRoles::Receiver().Of(*to).ok() ||
                       to->id() == call.caller().partner->id())) {
    allowed = absl::InvalidArgumentError(
        "to: must name the other receiver (a partner with ROLE_CHAIN_DIRECTOR "
        "or ROLE_CARE_COORDINATOR)");
  }
  if (allowed.ok()) {
    allowed = CheckRequiredText("reason", request.reason(), kMaxReasonBytes);
  }
  if (!allowed.ok()) return call.Finish(allowed);
  (*call.record().mutable_details())["to"] = request.to();
  // The policy in force must carry the signal to `to`, as to the caller:
  // read its metadata, not its content.
  absl::StatusOr<v1::storage::StoredSignal> signal =
      store_->GetSignalRecord(request.signal_id());
  if (signal.ok()) {
    call.record().set_data_subject_pseudonym(
        SubjectPseudonym(signal->subject_key()));
    allowed =
        RouteFor(*signal, *call.policy(), call.caller().partner->id()).status();
    if (allowed.ok()) {
      absl::Status route =
          RouteFor(*signal, *call.policy(), request.to()).status();
      if (absl::IsNotFound(route)) {
        allowed = absl::FailedPreconditionError(
            absl::StrCat("to: no route of the policy carries this signal to '",
                         request.to(), "'"));
      } else {
        allowed = route;
      }
    }
  }
  if (!signal.ok() || !allowed.ok()) {
    call.record().add_signal_ids(request.signal_id());
    return call.Finish(signal.ok() ? allowed : signal.status());
  }
  return Step(call, request.signal_id(),
              {.action = TriageStep::Action::kHandOver,
               .reason = request.reason(),
               .to = request.to()},
              response);
}

grpc::ServerUnaryReactor* ChainDirectorServiceImpl::HandleJudgeMatch(
    UnaryCall& call, const v1::JudgeMatchRequest& request,
    v1::JudgeMatchResponse* response) {
  absl::Status allowed = CheckSignalId(request.signal_id());
  if (allowed.ok() && (request.other_signal_id().empty() ||
                       request.other_signal_id().size() > 64)) {
    allowed = absl::InvalidArgumentError(
        "other_signal_id: required, at most 64 bytes");
  }
  if (allowed.ok() && request.other_signal_id() == request.signal_id()) {
    allowed = absl::InvalidArgumentError(
        "other_signal_id: must be another signal than signal_id");
  }
  if (allowed.ok()) {
    allowed = CheckRequiredText("reason", request.reason(), kMaxReasonBytes);
  }
  if (allowed.ok()) allowed = CheckPersonActs(call.record());
  if (!allowed.ok()) return call.Finish(allowed);
  JudgeMatchCommand command;
  command.receiver = call.caller().partner->id();
  command.signal_id = request.signal_id();
  command.other_signal_id = request.other_signal_id();
  command.confirm = request.confirm();
  SetTimestamp(absl::Now(), command.judgement.mutable_judged_at());
  command.judgement.set_judged_by(call.record().acting_user_id());
  command.judgement.set_reason(request.reason());
  command.audit = call.record();
  store_->JudgeMatch(
      std::move(command),
      [reactor = call.reactor(), response, draft = call.record(),
       signal = request.signal_id()](
          absl::StatusOr<std::vector<std::string>> linked) mutable {
        if (linked.ok()) {
          for (std::string& id : *linked)
            response->add_linked_signal_ids(std::move(id));
        }
        LogOutcome(std::move(draft), linked.status(), signal);
        reactor->Finish(ToGrpcStatus(linked.status()));
      });
  return call.reactor();
}

}  // namespace ketenhub
