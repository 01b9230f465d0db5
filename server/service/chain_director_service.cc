#include "server/service/chain_director_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/audit/audit_record.h"
#include "server/common/status_macros.h"
#include "server/policy/receiver_share.h"
#include "server/policy/signal_validation.h"
#include "server/routing/release.h"
#include "server/service/audited_call.h"
#include "server/service/event_stream.h"
#include "server/service/grpc_status.h"
#include "server/service/parsed_request.h"
#include "server/service/signal_service.h"
#include "server/service/unary_call.h"
#include "server/storage/time_conversion.h"

namespace ketenhub {
namespace {

// A Subscribe refused before any event: finishes once its audit record is
// written.
class RefusedStream final : public grpc::ServerWriteReactor<v1::Event> {
 public:
  RefusedStream(SignalStore& store, v1::AuditRecord record,
                const absl::Status& status) {
    SetAuditOutcome(status, &record);
    LogAudited(record);
    std::vector<v1::AuditRecord> records;
    records.push_back(std::move(record));
    store.audit().Record(
        std::move(records), [this, status](absl::Status written) {
          Finish(ToGrpcStatus(written.ok() ? status : written));
        });
  }
  void OnDone() override { delete this; }
};

// Finishes a unary call with the signal as `receiver` sees it now; the store
// committed the call's audit record with the change.
void FinishReleased(grpc::ServerUnaryReactor* reactor,
                    v1::ReleasedSignal* response, v1::AuditRecord draft,
                    const std::shared_ptr<const AccessPolicy>& policy,
                    const absl::StatusOr<v1::storage::StoredSignal>& stored) {
  absl::StatusOr<v1::ReleasedSignal> released =
      stored.ok() ? ReleaseFor(*stored, *policy, draft.actor_partner_id())
                  : absl::StatusOr<v1::ReleasedSignal>(stored.status());
  if (released.ok()) *response = *std::move(released);
  LogOutcome(std::move(draft), released.status(),
             released.ok() ? response->signal_id() : "");
  reactor->Finish(ToGrpcStatus(released.status()));
}

// `role`: the caller's receiver role. Care outcomes are the care
// coordinator's, the others the chain director's; a referral names the
// organisation referred to.
absl::Status CheckDecision(const v1::DecideRequest& request,
                           const AccessPolicy& policy, absl::string_view role) {
  if (request.outcome() == v1::OUTCOME_UNSPECIFIED ||
      !v1::Outcome_IsValid(request.outcome())) {
    return absl::InvalidArgumentError("outcome: must be a known outcome");
  }
  const bool care = IsCareOutcome(request.outcome());
  const bool care_role = role == v1::Role_Name(v1::ROLE_CARE_COORDINATOR);
  if (care != care_role) {
    return absl::PermissionDeniedError(
        absl::StrCat("outcome: ", v1::Outcome_Name(request.outcome()), " is ",
                     care ? "a care outcome, for ROLE_CARE_COORDINATOR"
                          : "a triage outcome, for ROLE_CHAIN_DIRECTOR"));
  }
  KETENHUB_RETURN_IF_ERROR(
      CheckRequiredText("reason", request.reason(), kMaxReasonBytes));
  const bool handed = request.outcome() == v1::OUTCOME_HANDED_TO_PARTNER;
  if (handed && policy.PartnerById(request.handed_to()) == nullptr) {
    return absl::InvalidArgumentError(
        "handed_to: must name a partner in the registry");
  }
  if (!handed && !request.handed_to().empty()) {
    return absl::InvalidArgumentError(
        "handed_to: only with OUTCOME_HANDED_TO_PARTNER");
  }
  const bool referral = request.outcome() == v1::OUTCOME_REFERRED_TO_SHELTER ||
                        request.outcome() == v1::OUTCOME_REFERRED_TO_CARE;
  if (referral) {
    return CheckRequiredText("referred_to", request.referred_to(),
                             kMaxReferredToBytes);
  }
  if (!request.referred_to().empty()) {
    return absl::InvalidArgumentError(
        "referred_to: only with OUTCOME_REFERRED_TO_SHELTER or "
        "OUTCOME_REFERRED_TO_CARE");
  }
  return absl::OkStatus();
}

// Two-stage release is possible only where the route says so and the signal
// has a section of that kind.
absl::Status CheckReleasable(const v1::ReleaseRequest& request,
                             const AccessPolicy& policy,
                             const v1::storage::StoredSignal& signal,
                             absl::string_view receiver) {
  const v1::Route* route = policy.RouteTo(signal.source_partner(),
                                          signal.signal().category(), receiver);
  if (route == nullptr) return absl::NotFoundError("signal_id: no such signal");
  if (AccessPolicy::ReleaseModeFor(*route, request.kind()) !=
      v1::RELEASE_TWO_STAGE) {
    return absl::FailedPreconditionError(
        absl::StrCat("kind: the route does not allow two-stage release of ",
                     v1::DataKind_Name(request.kind())));
  }
  for (const v1::Section& section : signal.signal().sections()) {
    if (section.kind() == request.kind()) return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("kind: the signal has no ",
                   v1::DataKind_Name(request.kind()), " section"));
}

}  // namespace

ChainDirectorServiceImpl::ChainDirectorServiceImpl(
    const CurrentPolicy* policy, SignalStore* store, EventNotifier* notifier,
    CertificateIdentityCache* certificates, PartnerLimits* partner_limits)
    : policy_(policy),
      store_(store),
      notifier_(notifier),
      certificates_(certificates),
      partner_limits_(partner_limits) {
  const std::string service = v1::ChainDirectorService::service_full_name();
  const CallEnvironment env{policy, certificates, store};
  using Self = ChainDirectorServiceImpl;
  MarkMethodCallback(
      MethodIndex(service, "Subscribe"),
      ParsingServerStreamingHandler(
          this, &Self::Subscribe,
          UnparsableRefusal{env, "subscribe", CallRoles::Receiver()}));
  MarkMethodCallback(
      MethodIndex(service, "Ack"),
      UnaryHandler(this, &Self::HandleAck, env, "ack", CallRoles::Receiver()));
  MarkMethodCallback(MethodIndex(service, "GetSignal"),
                     UnaryHandler(this, &Self::HandleGetSignal, env,
                                  "get_signal", CallRoles::Receiver()));
  MarkMethodCallback(MethodIndex(service, "Release"),
                     UnaryHandler(this, &Self::HandleRelease, env, "release",
                                  CallRoles::Receiver()));
  MarkMethodCallback(MethodIndex(service, "Decide"),
                     UnaryHandler(this, &Self::HandleDecide, env, "decide",
                                  CallRoles::Receiver()));
  MarkMethodCallback(MethodIndex(service, "Worklist"),
                     UnaryHandler(this, &Self::HandleWorklist, env, "worklist",
                                  CallRoles::Receiver()));
  MarkMethodCallback(MethodIndex(service, "Assign"),
                     UnaryHandler(this, &Self::HandleAssign, env, "assign",
                                  CallRoles::Receiver()));
  MarkMethodCallback(MethodIndex(service, "Close"),
                     UnaryHandler(this, &Self::HandleClose, env, "close",
                                  CallRoles::Receiver()));
  MarkMethodCallback(MethodIndex(service, "Reopen"),
                     UnaryHandler(this, &Self::HandleReopen, env, "reopen",
                                  CallRoles::Receiver()));
  MarkMethodCallback(MethodIndex(service, "HandOver"),
                     UnaryHandler(this, &Self::HandleHandOver, env, "hand_over",
                                  CallRoles::Receiver()));
  MarkMethodCallback(MethodIndex(service, "JudgeMatch"),
                     UnaryHandler(this, &Self::HandleJudgeMatch, env,
                                  "judge_match", CallRoles::Receiver()));
}

grpc::ServerWriteReactor<v1::Event>* ChainDirectorServiceImpl::Subscribe(
    grpc::CallbackServerContext* context, const v1::SubscribeRequest* request) {
  AuditedCall call = BeginCall(context, *policy_, *certificates_, "subscribe",
                               CallRoles::Receiver());
  absl::Status allowed = call.allowed;
  absl::StatusOr<uint64_t> after =
      request->has_from_cursor()
          ? absl::StatusOr<uint64_t>(request->from_cursor())
      : allowed.ok() ? store_->AckedCursor(call.caller->partner->id())
                     : absl::StatusOr<uint64_t>(allowed);
  if (allowed.ok()) allowed = after.status();
  if (allowed.ok() && *after > store_->LastCursor()) {
    allowed = absl::InvalidArgumentError("from_cursor: beyond the last event");
  }
  if (allowed.ok()) {
    allowed = partner_limits_->OpenStream(call.caller->partner->id(),
                                          call.policy->MaxStreamsPerPartner());
  }
  if (!allowed.ok()) {
    return new RefusedStream(*store_, std::move(call.record), allowed);
  }
  (*call.record.mutable_details())["from_cursor"] = absl::StrCat(*after);
  v1::AuditRecord subscribed = call.record;
  SetAuditOutcome(absl::OkStatus(), &subscribed);
  LogAudited(subscribed);
  std::vector<v1::AuditRecord> records;
  records.push_back(std::move(subscribed));
  store_->audit().Record(std::move(records), [](absl::Status) {});
  const std::string partner = call.caller->partner->id();
  return EventStream::Start(
      policy_, store_, notifier_, partner, *after, std::move(call.record),
      [limits = partner_limits_, partner] { limits->CloseStream(partner); });
}

grpc::ServerUnaryReactor* ChainDirectorServiceImpl::HandleAck(
    UnaryCall& call, const v1::AckRequest& request, v1::AckResponse* response) {
  grpc::ServerUnaryReactor* reactor = call.reactor();
  store_->Ack(call.caller().partner->id(), request.cursor(), call.record(),
              [reactor, response,
               draft = call.record()](absl::StatusOr<uint64_t> acked) mutable {
                if (acked.ok()) response->set_acked_cursor(*acked);
                LogOutcome(std::move(draft), acked.status(), "");
                reactor->Finish(ToGrpcStatus(acked.status()));
              });
  return reactor;
}

grpc::ServerUnaryReactor* ChainDirectorServiceImpl::HandleGetSignal(
    UnaryCall& call, const v1::GetSignalRequest& request,
    v1::ReleasedSignal* response) {
  if (absl::Status id = CheckSignalId(request.signal_id()); !id.ok())
    return call.Finish(id);
  call.record().add_signal_ids(request.signal_id());
  absl::StatusOr<v1::storage::StoredSignal> stored =
      store_->GetSignal(request.signal_id());
  absl::StatusOr<v1::ReleasedSignal> released =
      stored.ok()
          ? ReleaseFor(*stored, *call.policy(), call.caller().partner->id())
          : absl::StatusOr<v1::ReleasedSignal>(stored.status());
  if (stored.ok()) {
    call.record().set_data_subject_pseudonym(
        SubjectPseudonym(stored->subject_key()));
  }
  if (released.ok()) *response = *std::move(released);
  return call.Finish(released.status());
}

absl::StatusOr<v1::storage::StoredSignal>
ChainDirectorServiceImpl::ReadForChange(UnaryCall& call,
                                        absl::string_view signal_id) const {
  call.record().add_signal_ids(std::string(signal_id));
  absl::StatusOr<v1::storage::StoredSignal> signal =
      store_->GetSignal(signal_id);
  if (!signal.ok()) return signal.status();
  call.record().set_data_subject_pseudonym(
      SubjectPseudonym(signal->subject_key()));
  KETENHUB_RETURN_IF_ERROR(
      RouteFor(*signal, *call.policy(), call.caller().partner->id()).status());
  return signal;
}

void ChainDirectorServiceImpl::CommitChange(
    UnaryCall& call, v1::storage::StoredSignal content,
    v1::ReleasedSignal* response,
    absl::FunctionRef<void(SignalCallback)> change) {
  call.record().clear_signal_ids();  // the store adds it
  change([reactor = call.reactor(), response, draft = call.record(),
          policy = call.policy(), content = std::move(content)](
             absl::StatusOr<v1::storage::StoredSignal> changed) mutable {
    // The store leaves the content sealed; it was read (and its access
    // checked) once, before the change.
    if (changed.ok())
      *changed->mutable_signal() = std::move(*content.mutable_signal());
    FinishReleased(reactor, response, std::move(draft), policy, changed);
  });
}

namespace {

// The partner on whose behalf a release or decision is made: `requested`
// when given (a partner in the registry), else the signal's source.
absl::StatusOr<std::string> OnBehalfOf(const std::string& requested,
                                       const v1::storage::StoredSignal& signal,
                                       const AccessPolicy& policy) {
  if (requested.empty()) return signal.source_partner();
  if (policy.PartnerById(requested) == nullptr) {
    return absl::InvalidArgumentError(
        "on_behalf_of: not a partner in the registry");
  }
  return requested;
}

}  // namespace

grpc::ServerUnaryReactor* ChainDirectorServiceImpl::HandleRelease(
    UnaryCall& call, const v1::ReleaseRequest& request,
    v1::ReleasedSignal* response) {
  absl::Status admitted = CheckSignalId(request.signal_id());
  if (admitted.ok() && (request.kind() == v1::DATA_KIND_UNSPECIFIED ||
                        !v1::DataKind_IsValid(request.kind()))) {
    admitted = absl::InvalidArgumentError("kind: must be a known data kind");
  }
  if (admitted.ok()) {
    admitted = CheckRequiredText("legal_basis", request.legal_basis(),
                                 kMaxLegalBasisBytes);
  }
  if (!admitted.ok()) return call.Finish(admitted);
  (*call.record().mutable_details())["kind"] =
      v1::DataKind_Name(request.kind());
  call.record().set_legal_basis(request.legal_basis());
  absl::StatusOr<v1::storage::StoredSignal> signal =
      ReadForChange(call, request.signal_id());
  if (signal.ok()) {
    admitted = CheckReleasable(request, *call.policy(), *signal,
                               call.caller().partner->id());
  }
  if (signal.ok() && admitted.ok()) {
    absl::StatusOr<std::string> behalf =
        OnBehalfOf(request.on_behalf_of(), *signal, *call.policy());
    if (behalf.ok()) call.record().set_on_behalf_of(*behalf);
    admitted = behalf.status();
  }
  if (!signal.ok() || !admitted.ok())
    return call.Finish(signal.ok() ? admitted : signal.status());
  v1::SectionRelease release;
  release.set_kind(request.kind());
  SetTimestamp(absl::Now(), release.mutable_released_at());
  release.set_released_by(call.record().acting_user_id());
  release.set_released_by_role(call.record().acting_user_role());
  release.set_legal_basis(request.legal_basis());
  release.set_on_behalf_of(call.record().on_behalf_of());
  CommitChange(call, *std::move(signal), response, [&](SignalCallback done) {
    store_->Release(call.caller().partner->id(), request.signal_id(),
                    std::move(release), call.record(), std::move(done));
  });
  return call.reactor();
}

grpc::ServerUnaryReactor* ChainDirectorServiceImpl::HandleDecide(
    UnaryCall& call, const v1::DecideRequest& request,
    v1::ReleasedSignal* response) {
  absl::Status allowed = CheckSignalId(request.signal_id());
  if (allowed.ok()) {
    allowed =
        CheckDecision(request, *call.policy(), call.record().actor_role());
  }
  if (!allowed.ok()) return call.Finish(allowed);
  absl::StatusOr<v1::storage::StoredSignal> signal =
      ReadForChange(call, request.signal_id());
  if (!signal.ok()) return call.Finish(signal.status());
  absl::StatusOr<std::string> behalf =
      OnBehalfOf(request.on_behalf_of(), *signal, *call.policy());
  if (!behalf.ok()) return call.Finish(behalf.status());
  if (!request.change_reason().empty()) {
    if (absl::Status reason = CheckRequiredText(
            "change_reason", request.change_reason(), kMaxReasonBytes);
        !reason.ok()) {
      return call.Finish(reason);
    }
  }
  call.record().set_on_behalf_of(*behalf);
  v1::Decision decision;
  decision.set_change_reason(request.change_reason());
  decision.set_decided_by_role(call.record().acting_user_role());
  decision.set_on_behalf_of(*behalf);
  decision.set_outcome(request.outcome());
  decision.set_reason(request.reason());
  decision.set_handed_to(request.handed_to());
  decision.set_referred_to(request.referred_to());
  decision.set_policy_version(call.policy()->version());
  SetTimestamp(absl::Now(), decision.mutable_decided_at());
  v1::AuditRecord& record = call.record();
  (*record.mutable_details())["outcome"] = v1::Outcome_Name(request.outcome());
  if (!request.handed_to().empty())
    (*record.mutable_details())["handed_to"] = request.handed_to();
  CommitChange(call, *std::move(signal), response, [&](SignalCallback done) {
    store_->Decide(call.caller().partner->id(), request.signal_id(), decision,
                   call.record(), std::move(done));
  });
  return call.reactor();
}

}  // namespace ketenhub
