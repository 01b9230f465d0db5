#include "server/service/signal_service.h"

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "server/common/json_log.h"
#include "server/common/status_macros.h"
#include "server/service/caller_identity.h"
#include "server/service/grpc_status.h"

namespace ketenhub {
namespace {

constexpr size_t kMaxSignalIdBytes = 64;

// Logs a call's outcome: operation, partner, code and (for refusals) the
// rule. Messages name fields and rules, never values.
void LogOutcome(absl::string_view operation, absl::string_view partner,
                const absl::Status& status, absl::string_view signal_id = "") {
  if (status.ok()) {
    LogEvent(LogLevel::kInfo, operation,
             {{"partner", partner}, {"signal_id", signal_id}});
    return;
  }
  LogEvent(LogLevel::kWarning, operation,
           {{"partner", partner},
            {"code", absl::StatusCodeToString(status.code())},
            {"reason", status.message()}});
}

absl::string_view PartnerIdOf(const absl::StatusOr<Caller>& caller) {
  return caller.ok() ? absl::string_view(caller->partner->id())
                     : "unidentified";
}

}  // namespace

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
  return SubmitCommand{partner.id(), signal, *std::move(subject_key),
                       policy.version()};
}

grpc::ServerUnaryReactor* SignalServiceImpl::Submit(
    grpc::CallbackServerContext* context, const v1::SubmitRequest* request,
    v1::Receipt* receipt) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::shared_ptr<const AccessPolicy> policy = policy_->Get();
  const absl::StatusOr<Caller> caller =
      IdentifyCaller(*context, *policy, certificates_);
  absl::StatusOr<SubmitCommand> command =
      caller.ok() ? Admit(*policy, *caller, *request)
                  : absl::StatusOr<SubmitCommand>(caller.status());
  if (!command.ok()) {
    LogOutcome("submit", PartnerIdOf(caller), command.status());
    reactor->Finish(ToGrpcStatus(command.status()));
    return reactor;
  }
  std::string partner = command->partner_id;
  store_->Submit(*std::move(command),
                 [reactor, receipt, partner = std::move(partner)](
                     absl::StatusOr<v1::Receipt> result) {
                   LogOutcome("submit", partner, result.status(),
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
  if (request.signal_id().empty() ||
      request.signal_id().size() > kMaxSignalIdBytes) {
    return absl::InvalidArgumentError("signal_id: required, at most 64 bytes");
  }
  absl::StatusOr<v1::storage::StoredSignal> stored =
      store_->GetOwnSignal(caller.partner->id(), request.signal_id());
  if (!stored.ok()) return stored.status();
  v1::SignalStatus status;
  status.set_signal_id(stored->signal_id());
  status.set_client_ref(stored->signal().client_ref());
  status.set_sequence(stored->sequence());
  *status.mutable_received_at() = stored->received_at();
  status.set_category(stored->signal().category());
  status.set_urgency(stored->signal().urgency());
  status.set_state(v1::SIGNAL_STATE_RECEIVED);
  status.set_policy_version(stored->policy_version());
  return status;
}

grpc::ServerUnaryReactor* SignalServiceImpl::GetStatus(
    grpc::CallbackServerContext* context, const v1::GetStatusRequest* request,
    v1::SignalStatus* status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::shared_ptr<const AccessPolicy> policy = policy_->Get();
  const absl::StatusOr<Caller> caller =
      IdentifyCaller(*context, *policy, certificates_);
  absl::StatusOr<v1::SignalStatus> result =
      caller.ok() ? Status(*policy, *caller, *request)
                  : absl::StatusOr<v1::SignalStatus>(caller.status());
  if (result.ok()) *status = *std::move(result);
  LogOutcome("get_status", PartnerIdOf(caller), result.status(),
             result.ok() ? status->signal_id() : "");
  reactor->Finish(ToGrpcStatus(result.status()));
  return reactor;
}

}  // namespace ketenhub
