#include "server/service/signal_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/audit/audit_record.h"
#include "server/common/metrics.h"
#include "server/common/status_macros.h"
#include "server/routing/release.h"
#include "server/service/audited_call.h"
#include "server/service/grpc_status.h"

namespace ketenhub {
namespace {

constexpr size_t kMaxSignalIdBytes = 64;
constexpr size_t kMaxReasonBytes = 500;

}  // namespace

absl::Status CheckSignalId(absl::string_view signal_id) {
  if (signal_id.empty() || signal_id.size() > kMaxSignalIdBytes) {
    return absl::InvalidArgumentError("signal_id: required, at most 64 bytes");
  }
  return absl::OkStatus();
}

SignalServiceImpl::SignalServiceImpl(const CurrentPolicy* policy,
                                     SignalStore* store,
                                     const SubjectPseudonymizer* pseudonymizer,
                                     SignalLimits limits,
                                     CertificateIdentityCache* certificates,
                                     PartnerLimits* partner_limits)
    : policy_(policy),
      store_(store),
      pseudonymizer_(pseudonymizer),
      limits_(limits),
      certificates_(certificates),
      partner_limits_(partner_limits) {}

absl::StatusOr<SubmitCommand> SignalServiceImpl::Admit(
    const AccessPolicy& policy, const Caller& caller,
    const v1::SubmitRequest& request, v1::AuditRecord& record) const {
  const v1::Partner& partner = *caller.partner;
  if (!request.has_signal())
    return absl::InvalidArgumentError("signal: required");
  const v1::Signal& signal = request.signal();
  KETENHUB_RETURN_IF_ERROR(ValidateSignal(signal, limits_, absl::Now()));
  absl::StatusOr<std::string> subject_key =
      pseudonymizer_->SubjectKey(signal.subject());
  if (!subject_key.ok()) return subject_key.status();
  // From here on the record names the person the attempt was about.
  record.set_data_subject_pseudonym(SubjectPseudonym(*subject_key));
  KETENHUB_RETURN_IF_ERROR(policy.CheckMaySubmit(partner, signal.category()));
  SubmitCommand command;
  command.partner_id = partner.id();
  command.signal = signal;
  command.subject_key = *std::move(subject_key);
  command.policy_version = policy.version();
  for (const v1::Route* route :
       policy.RoutesFor(partner.id(), signal.category())) {
    command.receivers.push_back(route->receiver());
  }
  command.match_window_days = policy.MatchWindowDays(signal.category());
  command.retention_days = policy.RetentionDays(signal.category());
  return command;
}

grpc::ServerUnaryReactor* SignalServiceImpl::Submit(
    grpc::CallbackServerContext* context, const v1::SubmitRequest* request,
    v1::Receipt* receipt) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  AuditedCall call = BeginCall(context, *policy_, *certificates_, "submit",
                               v1::ROLE_SUBMITTER);
  if (call.allowed.ok()) {
    absl::Duration retry_after;
    call.allowed = partner_limits_->TakeSubmit(
        call.caller->partner->id(),
        call.policy->SubmitRate(*call.caller->partner), absl::Now(),
        &retry_after);
    if (!call.allowed.ok()) {
      context->AddTrailingMetadata(
          "retry-after-ms",
          absl::StrCat(absl::ToInt64Milliseconds(retry_after)));
    }
  }
  absl::StatusOr<SubmitCommand> command =
      call.allowed.ok()
          ? Admit(*call.policy, *call.caller, *request, call.record)
          : absl::StatusOr<SubmitCommand>(call.allowed);
  MetricLabels labels = {
      {"partner", call.caller.ok() ? call.caller->partner->id()
                                   : std::string("unidentified")},
      {"category", v1::Category_IsValid(request->signal().category())
                       ? v1::Category_Name(request->signal().category())
                       : std::string("unknown")}};
  if (!command.ok()) {
    labels.emplace_back("code",
                        absl::StatusCodeToString(command.status().code()));
    HubMetrics().Add("ketenhub_submits_total", labels);
    return FinishRefused(reactor, *store_, call, command.status());
  }
  command->audit = call.record;
  store_->Submit(
      *std::move(command),
      [reactor, receipt, draft = call.record,
       labels = std::move(labels)](absl::StatusOr<v1::Receipt> result) mutable {
        labels.emplace_back("code",
                            absl::StatusCodeToString(result.status().code()));
        HubMetrics().Add("ketenhub_submits_total", labels);
        LogOutcome(std::move(draft), result.status(),
                   result.ok() ? result->signal_id() : "");
        if (result.ok()) *receipt = *std::move(result);
        reactor->Finish(ToGrpcStatus(result.status()));
      });
  return reactor;
}

grpc::ServerUnaryReactor* SignalServiceImpl::GetStatus(
    grpc::CallbackServerContext* context, const v1::GetStatusRequest* request,
    v1::SignalStatus* status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  AuditedCall call = BeginCall(context, *policy_, *certificates_, "get_status",
                               v1::ROLE_SUBMITTER);
  absl::Status result = call.allowed;
  if (result.ok()) result = CheckSignalId(request->signal_id());
  if (!result.ok()) return FinishRefused(reactor, *store_, call, result);
  call.record.add_signal_ids(request->signal_id());
  absl::StatusOr<v1::storage::StoredSignal> stored =
      store_->GetOwnSignal(call.caller->partner->id(), request->signal_id());
  result = stored.status();
  if (stored.ok()) {
    call.record.set_data_subject_pseudonym(
        SubjectPseudonym(stored->subject_key()));
    *status = StatusForSource(*stored, absl::Now());
  }
  FinishAudited(reactor, *store_, std::move(call.record), result);
  return reactor;
}

grpc::ServerUnaryReactor* SignalServiceImpl::Withdraw(
    grpc::CallbackServerContext* context, const v1::WithdrawRequest* request,
    v1::SignalStatus* status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  AuditedCall call = BeginCall(context, *policy_, *certificates_, "withdraw",
                               v1::ROLE_SUBMITTER);
  absl::Status admitted = call.allowed;
  if (admitted.ok()) admitted = CheckSignalId(request->signal_id());
  if (admitted.ok() && (request->reason().empty() ||
                        request->reason().size() > kMaxReasonBytes)) {
    admitted =
        absl::InvalidArgumentError("reason: required, at most 500 bytes");
  }
  if (!admitted.ok()) return FinishRefused(reactor, *store_, call, admitted);
  const std::string partner = call.caller->partner->id();
  store_->Withdraw(
      partner, request->signal_id(), request->reason(), call.record,
      [reactor, status, draft = call.record](
          absl::StatusOr<v1::storage::StoredSignal> result) mutable {
        LogOutcome(std::move(draft), result.status(),
                   result.ok() ? result->signal_id() : "");
        if (result.ok()) *status = StatusForSource(*result, absl::Now());
        reactor->Finish(ToGrpcStatus(result.status()));
      });
  return reactor;
}

}  // namespace ketenhub
