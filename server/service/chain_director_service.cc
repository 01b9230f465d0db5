#include "server/service/chain_director_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/routing/release.h"
#include "server/service/event_stream.h"
#include "server/service/grpc_status.h"
#include "server/service/signal_service.h"
#include "server/storage/time_conversion.h"

namespace ketenhub {
namespace {

constexpr size_t kMaxReasonBytes = 500;
constexpr size_t kMaxLegalBasisBytes = 200;

// A Subscribe refused before any event: finishes at once.
class RefusedStream final : public grpc::ServerWriteReactor<v1::Event> {
 public:
  explicit RefusedStream(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

// Finishes a unary call with the signal as `receiver` sees it now.
void FinishReleased(grpc::ServerUnaryReactor* reactor,
                    v1::ReleasedSignal* response, absl::string_view operation,
                    const absl::StatusOr<Caller>& caller,
                    const std::shared_ptr<const AccessPolicy>& policy,
                    const absl::StatusOr<v1::storage::StoredSignal>& stored) {
  absl::StatusOr<v1::ReleasedSignal> released =
      stored.ok() ? ReleaseFor(*stored, *policy, caller->partner->id())
                  : absl::StatusOr<v1::ReleasedSignal>(stored.status());
  if (released.ok()) *response = *std::move(released);
  LogCall(operation, caller, released.status(),
          released.ok() ? response->signal_id() : "");
  reactor->Finish(ToGrpcStatus(released.status()));
}

absl::Status CheckDecision(const v1::DecideRequest& request,
                           const AccessPolicy& policy) {
  if (request.outcome() == v1::OUTCOME_UNSPECIFIED ||
      !v1::Outcome_IsValid(request.outcome())) {
    return absl::InvalidArgumentError("outcome: must be a known outcome");
  }
  if (request.reason().empty() || request.reason().size() > kMaxReasonBytes) {
    return absl::InvalidArgumentError("reason: required, at most 500 bytes");
  }
  const bool handed = request.outcome() == v1::OUTCOME_HANDED_TO_PARTNER;
  if (handed && policy.PartnerById(request.handed_to()) == nullptr) {
    return absl::InvalidArgumentError(
        "handed_to: must name a partner in the registry");
  }
  if (!handed && !request.handed_to().empty()) {
    return absl::InvalidArgumentError(
        "handed_to: only with OUTCOME_HANDED_TO_PARTNER");
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

ChainDirectorServiceImpl::ChainDirectorServiceImpl(const CurrentPolicy* policy,
                                                   SignalStore* store,
                                                   EventNotifier* notifier)
    : policy_(policy), store_(store), notifier_(notifier) {}

absl::Status ChainDirectorServiceImpl::Authorize(
    const grpc::CallbackServerContext& context,
    const std::shared_ptr<const AccessPolicy>& policy,
    absl::StatusOr<Caller>& caller) {
  caller = IdentifyCaller(context, policy, certificates_);
  if (!caller.ok()) return caller.status();
  return policy->CheckRole(*caller->partner, v1::ROLE_CHAIN_DIRECTOR);
}

grpc::ServerWriteReactor<v1::Event>* ChainDirectorServiceImpl::Subscribe(
    grpc::CallbackServerContext* context, const v1::SubscribeRequest* request) {
  const std::shared_ptr<const AccessPolicy> policy = policy_->Get();
  absl::StatusOr<Caller> caller = absl::UnknownError("");
  absl::Status allowed = Authorize(*context, policy, caller);
  absl::StatusOr<uint64_t> after =
      request->has_from_cursor()
          ? absl::StatusOr<uint64_t>(request->from_cursor())
      : allowed.ok() ? store_->AckedCursor(caller->partner->id())
                     : absl::StatusOr<uint64_t>(allowed);
  if (allowed.ok()) allowed = after.status();
  if (allowed.ok() && *after > store_->LastCursor()) {
    allowed = absl::InvalidArgumentError("from_cursor: beyond the last event");
  }
  LogCall("subscribe", caller, allowed);
  if (!allowed.ok()) return new RefusedStream(ToGrpcStatus(allowed));
  return EventStream::Start(policy_, store_, notifier_, caller->partner->id(),
                            *after);
}

grpc::ServerUnaryReactor* ChainDirectorServiceImpl::Ack(
    grpc::CallbackServerContext* context, const v1::AckRequest* request,
    v1::AckResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::shared_ptr<const AccessPolicy> policy = policy_->Get();
  absl::StatusOr<Caller> caller = absl::UnknownError("");
  if (absl::Status allowed = Authorize(*context, policy, caller);
      !allowed.ok()) {
    return FinishRefused(reactor, "ack", caller, allowed);
  }
  store_->Ack(
      caller->partner->id(), request->cursor(),
      [reactor, response, caller, policy](absl::StatusOr<uint64_t> acked) {
        if (acked.ok()) response->set_acked_cursor(*acked);
        LogCall("ack", caller, acked.status());
        reactor->Finish(ToGrpcStatus(acked.status()));
      });
  return reactor;
}

grpc::ServerUnaryReactor* ChainDirectorServiceImpl::GetSignal(
    grpc::CallbackServerContext* context, const v1::GetSignalRequest* request,
    v1::ReleasedSignal* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::shared_ptr<const AccessPolicy> policy = policy_->Get();
  absl::StatusOr<Caller> caller = absl::UnknownError("");
  absl::Status allowed = Authorize(*context, policy, caller);
  if (allowed.ok()) allowed = CheckSignalId(request->signal_id());
  if (!allowed.ok()) {
    return FinishRefused(reactor, "get_signal", caller, allowed);
  }
  FinishReleased(reactor, response, "get_signal", caller, policy,
                 store_->GetSignal(request->signal_id()));
  return reactor;
}

grpc::ServerUnaryReactor* ChainDirectorServiceImpl::Release(
    grpc::CallbackServerContext* context, const v1::ReleaseRequest* request,
    v1::ReleasedSignal* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::shared_ptr<const AccessPolicy> policy = policy_->Get();
  absl::StatusOr<Caller> caller = absl::UnknownError("");
  absl::Status allowed = Authorize(*context, policy, caller);
  if (allowed.ok()) allowed = CheckSignalId(request->signal_id());
  if (allowed.ok() && (request->kind() == v1::DATA_KIND_UNSPECIFIED ||
                       !v1::DataKind_IsValid(request->kind()))) {
    allowed = absl::InvalidArgumentError("kind: must be a known data kind");
  }
  if (allowed.ok() && (request->legal_basis().empty() ||
                       request->legal_basis().size() > kMaxLegalBasisBytes)) {
    allowed =
        absl::InvalidArgumentError("legal_basis: required, at most 200 bytes");
  }
  if (allowed.ok()) {
    absl::StatusOr<v1::storage::StoredSignal> signal =
        store_->GetSignal(request->signal_id());
    allowed = signal.ok()
                  ? ReleaseFor(*signal, *policy, caller->partner->id()).status()
                  : signal.status();
    if (allowed.ok())
      allowed =
          CheckReleasable(*request, *policy, *signal, caller->partner->id());
  }
  if (!allowed.ok()) {
    return FinishRefused(reactor, "release", caller, allowed);
  }
  store_->Release(caller->partner->id(), request->signal_id(), request->kind(),
                  [reactor, response, caller,
                   policy](absl::StatusOr<v1::storage::StoredSignal> stored) {
                    FinishReleased(reactor, response, "release", caller, policy,
                                   stored);
                  });
  return reactor;
}

grpc::ServerUnaryReactor* ChainDirectorServiceImpl::Decide(
    grpc::CallbackServerContext* context, const v1::DecideRequest* request,
    v1::ReleasedSignal* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::shared_ptr<const AccessPolicy> policy = policy_->Get();
  absl::StatusOr<Caller> caller = absl::UnknownError("");
  absl::Status allowed = Authorize(*context, policy, caller);
  if (allowed.ok()) allowed = CheckSignalId(request->signal_id());
  if (allowed.ok()) allowed = CheckDecision(*request, *policy);
  if (!allowed.ok()) {
    return FinishRefused(reactor, "decide", caller, allowed);
  }
  v1::Decision decision;
  decision.set_outcome(request->outcome());
  decision.set_reason(request->reason());
  decision.set_handed_to(request->handed_to());
  decision.set_policy_version(policy->version());
  SetTimestamp(absl::Now(), decision.mutable_decided_at());
  store_->Decide(caller->partner->id(), request->signal_id(), decision,
                 [reactor, response, caller,
                  policy](absl::StatusOr<v1::storage::StoredSignal> stored) {
                   FinishReleased(reactor, response, "decide", caller, policy,
                                  stored);
                 });
  return reactor;
}

}  // namespace ketenhub
