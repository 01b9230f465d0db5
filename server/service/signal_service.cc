#include "server/service/signal_service.h"

#include "absl/time/clock.h"
#include "server/common/status_macros.h"
#include "server/routing/release.h"
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
                                     SignalLimits limits)
    : policy_(policy),
      store_(store),
      pseudonymizer_(pseudonymizer),
      limits_(limits) {}

absl::StatusOr<SubmitCommand> SignalServiceImpl::Admit(
    const AccessPolicy& policy, const Caller& caller,
    const v1::SubmitRequest& request) const {
  const v1::Partner& partner = *caller.partner;
  KETENHUB_RETURN_IF_ERROR(policy.CheckRole(partner, v1::ROLE_SUBMITTER));
  if (!request.has_signal())
    return absl::InvalidArgumentError("signal: required");
  const v1::Signal& signal = request.signal();
  KETENHUB_RETURN_IF_ERROR(ValidateSignal(signal, limits_, absl::Now()));
  KETENHUB_RETURN_IF_ERROR(policy.CheckMaySubmit(partner, signal.category()));
  absl::StatusOr<std::string> subject_key =
      pseudonymizer_->SubjectKey(signal.subject());
  if (!subject_key.ok()) return subject_key.status();
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
  return command;
}

grpc::ServerUnaryReactor* SignalServiceImpl::Submit(
    grpc::CallbackServerContext* context, const v1::SubmitRequest* request,
    v1::Receipt* receipt) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::shared_ptr<const AccessPolicy> policy = policy_->Get();
  absl::StatusOr<Caller> caller =
      IdentifyCaller(*context, policy, certificates_);
  absl::StatusOr<SubmitCommand> command =
      caller.ok() ? Admit(*policy, *caller, *request)
                  : absl::StatusOr<SubmitCommand>(caller.status());
  if (!command.ok()) {
    return FinishRefused(reactor, "submit", caller, command.status());
  }
  store_->Submit(*std::move(command),
                 [reactor, receipt, caller = std::move(caller)](
                     absl::StatusOr<v1::Receipt> result) {
                   LogCall("submit", caller, result.status(),
                           result.ok() ? result->signal_id() : "");
                   if (result.ok()) *receipt = *std::move(result);
                   reactor->Finish(ToGrpcStatus(result.status()));
                 });
  return reactor;
}

absl::StatusOr<v1::SignalStatus> SignalServiceImpl::Status(
    const AccessPolicy& policy, const Caller& caller,
    const v1::GetStatusRequest& request) const {
  KETENHUB_RETURN_IF_ERROR(
      policy.CheckRole(*caller.partner, v1::ROLE_SUBMITTER));
  KETENHUB_RETURN_IF_ERROR(CheckSignalId(request.signal_id()));
  absl::StatusOr<v1::storage::StoredSignal> stored =
      store_->GetOwnSignal(caller.partner->id(), request.signal_id());
  if (!stored.ok()) return stored.status();
  return StatusForSource(*stored);
}

grpc::ServerUnaryReactor* SignalServiceImpl::GetStatus(
    grpc::CallbackServerContext* context, const v1::GetStatusRequest* request,
    v1::SignalStatus* status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::shared_ptr<const AccessPolicy> policy = policy_->Get();
  const absl::StatusOr<Caller> caller =
      IdentifyCaller(*context, policy, certificates_);
  absl::StatusOr<v1::SignalStatus> result =
      caller.ok() ? Status(*policy, *caller, *request)
                  : absl::StatusOr<v1::SignalStatus>(caller.status());
  if (result.ok()) *status = *std::move(result);
  LogCall("get_status", caller, result.status(),
          result.ok() ? status->signal_id() : "");
  reactor->Finish(ToGrpcStatus(result.status()));
  return reactor;
}

grpc::ServerUnaryReactor* SignalServiceImpl::Withdraw(
    grpc::CallbackServerContext* context, const v1::WithdrawRequest* request,
    v1::SignalStatus* status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::shared_ptr<const AccessPolicy> policy = policy_->Get();
  absl::StatusOr<Caller> caller =
      IdentifyCaller(*context, policy, certificates_);
  absl::Status admitted = caller.status();
  if (admitted.ok())
    admitted = policy->CheckRole(*caller->partner, v1::ROLE_SUBMITTER);
  if (admitted.ok()) admitted = CheckSignalId(request->signal_id());
  if (admitted.ok() && (request->reason().empty() ||
                        request->reason().size() > kMaxReasonBytes)) {
    admitted =
        absl::InvalidArgumentError("reason: required, at most 500 bytes");
  }
  if (!admitted.ok()) {
    return FinishRefused(reactor, "withdraw", caller, admitted);
  }
  const std::string partner = caller->partner->id();
  store_->Withdraw(partner, request->signal_id(), request->reason(),
                   [reactor, status, caller = std::move(caller)](
                       absl::StatusOr<v1::storage::StoredSignal> result) {
                     LogCall("withdraw", caller, result.status(),
                             result.ok() ? result->signal_id() : "");
                     if (result.ok()) *status = StatusForSource(*result);
                     reactor->Finish(ToGrpcStatus(result.status()));
                   });
  return reactor;
}

}  // namespace ketenhub
