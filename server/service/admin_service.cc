#include "server/service/admin_service.h"

#include <algorithm>

#include "server/common/json_log.h"
#include "server/service/grpc_status.h"

namespace ketenhub {
namespace {

constexpr uint32_t kMaxPage = 1000;

}  // namespace

absl::StatusOr<std::string> ReloadAndLog(CurrentPolicy& policy) {
  absl::StatusOr<std::string> version = policy.ReloadFromFile();
  if (version.ok()) {
    LogEvent(LogLevel::kInfo, "policy_reloaded",
             {{"policy_version", *version}});
  } else {
    LogEvent(LogLevel::kError, "policy_reload_refused",
             {{"reason", version.status().message()},
              {"policy_version", policy.Get()->version()}});
  }
  return version;
}

AdminServiceImpl::AdminServiceImpl(CurrentPolicy* policy,
                                   const SignalStore* store)
    : policy_(policy), store_(store) {}

absl::Status AdminServiceImpl::Authorize(
    const grpc::CallbackServerContext& context,
    absl::StatusOr<Caller>& caller) {
  const std::shared_ptr<const AccessPolicy> policy = policy_->Get();
  caller = IdentifyCaller(context, policy, certificates_);
  if (!caller.ok()) return caller.status();
  absl::Status allowed = policy->CheckRole(*caller->partner, v1::ROLE_OPERATOR);
  return allowed;
}

grpc::ServerUnaryReactor* AdminServiceImpl::ReloadPolicy(
    grpc::CallbackServerContext* context, const v1::ReloadPolicyRequest*,
    v1::ReloadPolicyResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Caller> caller = absl::UnknownError("");
  absl::Status status = Authorize(*context, caller);
  if (status.ok()) {
    absl::StatusOr<std::string> version = ReloadAndLog(*policy_);
    status = version.status();
    if (version.ok()) response->set_policy_version(*version);
  }
  LogCall("reload_policy", caller, status);
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListUnrouted(
    grpc::CallbackServerContext* context,
    const v1::ListUnroutedRequest* request,
    v1::ListUnroutedResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Caller> caller = absl::UnknownError("");
  absl::Status status = Authorize(*context, caller);
  if (status.ok()) {
    const uint32_t page = request->page_size() == 0
                              ? kMaxPage
                              : std::min(request->page_size(), kMaxPage);
    auto signals = store_->ListUnrouted(request->after_sequence(), page);
    status = signals.status();
    if (signals.ok()) {
      for (const v1::storage::StoredSignal& signal : *signals) {
        v1::UnroutedSignal* out = response->add_signals();
        out->set_signal_id(signal.signal_id());
        out->set_sequence(signal.sequence());
        out->set_source_partner(signal.source_partner());
        out->set_category(signal.signal().category());
        *out->mutable_received_at() = signal.received_at();
      }
    }
  }
  LogCall("list_unrouted", caller, status);
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace ketenhub
