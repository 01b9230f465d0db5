#include "server/service/subject_request_service.h"

#include <algorithm>
#include <future>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/audit/audit_record.h"
#include "server/common/json_log.h"
#include "server/policy/four_eyes.h"
#include "server/policy/signal_validation.h"
#include "server/service/audited_call.h"
#include "server/service/grpc_status.h"
#include "server/storage/signal_mutations.h"

namespace ketenhub {
namespace {

constexpr size_t kMaxListed = 1000;

// The request as a reader should see it now: a lapsed one is expired, even
// before the sweep has recorded it.
v1::SubjectRequest AsOfNow(v1::SubjectRequest request, absl::Time now) {
  if (four_eyes::Lapsed(request, now))
    request.set_state(v1::SUBJECT_REQUEST_EXPIRED);
  return request;
}

// Operators see every request; other organisations only when the policy
// names them an approver.
absl::Status CheckMayList(const AccessPolicy& policy,
                          const v1::Partner& partner) {
  if (std::find(partner.roles().begin(), partner.roles().end(),
                v1::ROLE_OPERATOR) != partner.roles().end()) {
    return absl::OkStatus();
  }
  for (const int role : policy.policy().subject_requests().approver_roles()) {
    if (std::find(partner.roles().begin(), partner.roles().end(), role) !=
        partner.roles().end()) {
      return absl::OkStatus();
    }
  }
  return absl::PermissionDeniedError(
      absl::StrCat("partner '", partner.id(),
                   "' may not list subject requests (rule: "
                   "subject_requests.approver_roles)"));
}

// Finishes `reactor` with the store's answer, copied into `response`.
SubjectRequestCallback AnswerWith(grpc::ServerUnaryReactor* reactor,
                                  v1::SubjectRequest* response,
                                  v1::AuditRecord draft) {
  return [reactor, response, draft = std::move(draft)](
             absl::StatusOr<v1::SubjectRequest> result) mutable {
    if (result.ok()) *response = *result;
    LogOutcome(std::move(draft), result.status(), "");
    reactor->Finish(ToGrpcStatus(result.status()));
  };
}

}  // namespace

SubjectRequestServiceImpl::SubjectRequestServiceImpl(
    const CurrentPolicy* policy, SignalStore* store,
    const SubjectPseudonymizer* pseudonymizer,
    CertificateIdentityCache* certificates)
    : store_(store), pseudonymizer_(pseudonymizer) {
  const std::string service = v1::SubjectRequestService::service_full_name();
  const CallEnvironment env{policy, certificates, store};
  using Self = SubjectRequestServiceImpl;
  const CallRoles either =
      CallRoles::AnyOf({v1::ROLE_OPERATOR, v1::ROLE_AUDITOR});
  MarkMethodCallback(MethodIndex(service, "Ask"),
                     UnaryHandler(this, &Self::HandleAsk, env,
                                  "subject_request", v1::ROLE_OPERATOR));
  MarkMethodCallback(
      MethodIndex(service, "List"),
      UnaryHandler(this, &Self::HandleList, env, "subject_requests", either));
  MarkMethodCallback(
      MethodIndex(service, "Approve"),
      UnaryHandler(this, &Self::HandleApprove, env, "subject_approve", either));
  MarkMethodCallback(
      MethodIndex(service, "Refuse"),
      UnaryHandler(this, &Self::HandleRefuse, env, "subject_refuse", either));
}

grpc::ServerUnaryReactor* SubjectRequestServiceImpl::HandleAsk(
    UnaryCall& call, const v1::AskSubjectRequest& request,
    v1::SubjectRequest* response) {
  const AccessPolicy& policy = *call.policy();
  if (absl::Status named = policy.CheckApproversNamed(); !named.ok())
    return call.Finish(named);
  if (request.kind() != v1::SUBJECT_REQUEST_EXPORT &&
      request.kind() != v1::SUBJECT_REQUEST_ERASE) {
    return call.Finish(absl::InvalidArgumentError(
        "kind: SUBJECT_REQUEST_EXPORT or SUBJECT_REQUEST_ERASE"));
  }
  if (absl::Status reason = CheckRequiredText("reason", request.reason(),
                                              kMaxRequestReferenceBytes);
      !reason.ok()) {
    return call.Finish(reason);
  }
  absl::StatusOr<std::string> key =
      pseudonymizer_->LookupKey(request.subject());
  if (!key.ok()) return call.Finish(key.status());
  v1::SubjectRequest draft;
  draft.set_request_id(NewSignalId());
  draft.set_kind(request.kind());
  draft.set_subject_pseudonym(SubjectPseudonym(*key));
  *draft.mutable_requested_by() = four_eyes::PersonOf(call.record());
  four_eyes::AddDetails(draft, &call.record());
  (*call.record().mutable_details())["reason"] = request.reason();
  SubjectRequestChange change;
  change.request_id = draft.request_id();
  change.decide =
      [draft, key = *key, reason = request.reason(),
       valid_for = policy.SubjectRequestValidFor()](
          const std::optional<four_eyes::StoredRequest>& current,
          absl::Time now) -> absl::StatusOr<four_eyes::StoredRequest> {
    if (current.has_value())
      return absl::AlreadyExistsError("request_id: taken; ask again");
    return four_eyes::NewRequest(draft.request_id(), draft.kind(), key,
                                 draft.subject_pseudonym(), reason,
                                 draft.requested_by(), now, valid_for);
  };
  grpc::ServerUnaryReactor* reactor = call.reactor();
  v1::AuditRecord logged = call.record();
  store_->requests().Change(std::move(change), std::move(call.record()),
                            AnswerWith(reactor, response, std::move(logged)));
  return reactor;
}

grpc::ServerUnaryReactor* SubjectRequestServiceImpl::HandleList(
    UnaryCall& call, const v1::ListSubjectRequestsRequest& request,
    v1::ListSubjectRequestsResponse* response) {
  if (absl::Status may = CheckMayList(*call.policy(), *call.caller().partner);
      !may.ok()) {
    return call.Finish(may);
  }
  absl::StatusOr<std::vector<four_eyes::StoredRequest>> all =
      store_->requests().List();
  if (!all.ok()) return call.Finish(all.status());
  const absl::Time now = absl::Now();
  std::vector<v1::SubjectRequest> listed;
  for (const four_eyes::StoredRequest& stored : *all) {
    v1::SubjectRequest shown = AsOfNow(stored.request(), now);
    if (request.all() || shown.state() == v1::SUBJECT_REQUEST_PENDING)
      listed.push_back(std::move(shown));
  }
  const size_t skip =
      listed.size() > kMaxListed ? listed.size() - kMaxListed : 0;
  for (size_t i = skip; i < listed.size(); ++i)
    *response->add_requests() = std::move(listed[i]);
  (*call.record().mutable_details())["requests"] =
      absl::StrCat(response->requests_size());
  (*call.record().mutable_details())["all"] = request.all() ? "true" : "false";
  return call.Finish(absl::OkStatus());
}

grpc::ServerUnaryReactor* SubjectRequestServiceImpl::HandleApprove(
    UnaryCall& call, const v1::ApproveSubjectRequest& request,
    v1::SubjectRequest* response) {
  SubjectRequestChange change;
  change.request_id = request.request_id();
  change.decide = [approver = four_eyes::PersonOf(call.record())](
                      const std::optional<four_eyes::StoredRequest>& current,
                      absl::Time now) {
    return four_eyes::Approve(current, approver, now);
  };
  return Decide(call, request.request_id(), std::move(change), response);
}

grpc::ServerUnaryReactor* SubjectRequestServiceImpl::HandleRefuse(
    UnaryCall& call, const v1::RefuseSubjectRequest& request,
    v1::SubjectRequest* response) {
  if (absl::Status reason =
          CheckRequiredText("reason", request.reason(), kMaxReasonBytes);
      !reason.ok()) {
    return call.Finish(reason);
  }
  (*call.record().mutable_details())["reason"] = request.reason();
  SubjectRequestChange change;
  change.request_id = request.request_id();
  change.decide = [approver = four_eyes::PersonOf(call.record()),
                   reason = request.reason()](
                      const std::optional<four_eyes::StoredRequest>& current,
                      absl::Time now) {
    return four_eyes::Refuse(current, approver, reason, now);
  };
  return Decide(call, request.request_id(), std::move(change), response);
}

grpc::ServerUnaryReactor* SubjectRequestServiceImpl::Decide(
    UnaryCall& call, const std::string& request_id, SubjectRequestChange change,
    v1::SubjectRequest* response) {
  if (request_id.empty() || request_id.size() > 64) {
    return call.Finish(
        absl::InvalidArgumentError("request_id: required, at most 64 bytes"));
  }
  (*call.record().mutable_details())["request_id"] = request_id;
  // The details of the request as it stands, so that a refused attempt is
  // in the person's history too; the commit decides.
  absl::StatusOr<std::optional<four_eyes::StoredRequest>> stored =
      store_->requests().Get(request_id);
  if (stored.ok() && stored->has_value())
    four_eyes::AddDetails((*stored)->request(), &call.record());
  absl::StatusOr<v1::Role> role = call.policy()->ApproverRoleOf(
      *call.caller().partner, call.record().acting_user_role());
  if (!role.ok()) return call.Finish(role.status());
  call.record().set_actor_role(v1::Role_Name(*role));
  grpc::ServerUnaryReactor* reactor = call.reactor();
  v1::AuditRecord logged = call.record();
  store_->requests().Change(std::move(change), std::move(call.record()),
                            AnswerWith(reactor, response, std::move(logged)));
  return reactor;
}

absl::StatusOr<int> ExpireLapsedRequests(SignalStore& store,
                                         const v1::AuditRecord& draft) {
  absl::StatusOr<std::vector<four_eyes::StoredRequest>> all =
      store.requests().List();
  if (!all.ok()) {
    LogEvent(LogLevel::kError, "subject_request_expiry_failed",
             {{"reason", all.status().message()}});
    return all.status();
  }
  const absl::Time now = absl::Now();
  int expired = 0;
  for (const four_eyes::StoredRequest& stored : *all) {
    if (!four_eyes::Lapsed(stored.request(), now)) continue;
    v1::AuditRecord record = draft;
    four_eyes::AddDetails(stored.request(), &record);
    SubjectRequestChange change;
    change.request_id = stored.request().request_id();
    change.decide = [](const std::optional<four_eyes::StoredRequest>& current,
                       absl::Time at) {
      return four_eyes::Expire(current, at);
    };
    std::promise<absl::Status> done;
    store.requests().Change(std::move(change), std::move(record),
                            [&done](absl::StatusOr<v1::SubjectRequest> result) {
                              done.set_value(result.status());
                            });
    const absl::Status status = done.get_future().get();
    // Run or decided meanwhile: nothing lapsed after all (still recorded).
    if (absl::IsFailedPrecondition(status)) continue;
    if (!status.ok()) {
      LogEvent(LogLevel::kError, "subject_request_expiry_failed",
               {{"reason", status.message()}});
      return status;
    }
    ++expired;
  }
  if (expired > 0) {
    LogEvent(LogLevel::kInfo, "subject_requests_expired",
             {{"requests", static_cast<int64_t>(expired)}});
  }
  return expired;
}

}  // namespace ketenhub
