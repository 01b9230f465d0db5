#include "server/service/admin_service.h"

#include <algorithm>

#include "server/audit/audit_record.h"
#include "server/common/json_log.h"
#include "server/service/audited_call.h"
#include "server/service/grpc_status.h"

namespace ketenhub {
namespace {

constexpr uint32_t kMaxPage = 1000;

void LogReload(const absl::StatusOr<std::string>& version,
               const CurrentPolicy& policy) {
  if (version.ok()) {
    LogEvent(LogLevel::kInfo, "policy_reloaded",
             {{"policy_version", *version}});
  } else {
    LogEvent(LogLevel::kError, "policy_reload_refused",
             {{"reason", version.status().message()},
              {"policy_version", policy.Get()->version()}});
  }
}

}  // namespace

void ReloadAudited(
    CurrentPolicy& policy, SignalStore& store, v1::AuditRecord record,
    absl::AnyInvocable<void(absl::StatusOr<std::string>) &&> done) {
  absl::StatusOr<std::unique_ptr<AccessPolicy>> loaded =
      AccessPolicy::FromFile(policy.path());
  std::shared_ptr<const AccessPolicy> next;
  if (loaded.ok()) {
    next = *std::move(loaded);
    (*record.mutable_details())["new_policy_version"] = next->version();
  }
  const absl::Status outcome = loaded.status();
  SetAuditOutcome(outcome, &record);
  std::vector<v1::AuditRecord> records;
  records.push_back(std::move(record));
  store.Record(std::move(records),
               [&policy, next, outcome,
                done = std::move(done)](absl::Status written) mutable {
                 absl::StatusOr<std::string> result = absl::UnavailableError(
                     "the audit trail cannot be written; the policy stays");
                 if (written.ok() && next == nullptr) {
                   result = outcome;
                 } else if (written.ok()) {
                   result = next->version();
                   policy.Replace(next);
                 }
                 LogReload(result, policy);
                 std::move(done)(std::move(result));
               });
}

AdminServiceImpl::AdminServiceImpl(CurrentPolicy* policy, SignalStore* store)
    : policy_(policy), store_(store) {}

grpc::ServerUnaryReactor* AdminServiceImpl::ReloadPolicy(
    grpc::CallbackServerContext* context, const v1::ReloadPolicyRequest*,
    v1::ReloadPolicyResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  AuditedCall call = BeginCall(context, *policy_, certificates_,
                               "reload_policy", v1::ROLE_OPERATOR);
  if (!call.allowed.ok()) {
    return FinishRefused(reactor, *store_, call, call.allowed);
  }
  v1::AuditRecord logged = call.record;
  ReloadAudited(*policy_, *store_, std::move(call.record),
                [reactor, response, logged = std::move(logged)](
                    absl::StatusOr<std::string> version) mutable {
                  if (version.ok()) response->set_policy_version(*version);
                  LogOutcome(std::move(logged), version.status(), "");
                  reactor->Finish(ToGrpcStatus(version.status()));
                });
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListUnrouted(
    grpc::CallbackServerContext* context,
    const v1::ListUnroutedRequest* request,
    v1::ListUnroutedResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  AuditedCall call = BeginCall(context, *policy_, certificates_,
                               "list_unrouted", v1::ROLE_OPERATOR);
  if (!call.allowed.ok()) {
    return FinishRefused(reactor, *store_, call, call.allowed);
  }
  const uint32_t page = request->page_size() == 0
                            ? kMaxPage
                            : std::min(request->page_size(), kMaxPage);
  auto signals = store_->ListUnrouted(request->after_sequence(), page);
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
  FinishAudited(reactor, *store_, std::move(call.record), signals.status());
  return reactor;
}

}  // namespace ketenhub
