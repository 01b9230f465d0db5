#ifndef KETENHUB_SERVER_SERVICE_AUDITED_CALL_H_
#define KETENHUB_SERVER_SERVICE_AUDITED_CALL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "ketenhub/v1/audit.pb.h"
#include "server/policy/call_roles.h"
#include "server/policy/current_policy.h"
#include "server/security/certificate_identity.h"
#include "server/service/caller_identity.h"
#include "server/storage/signal_store.h"

namespace ketenhub {

// What every handler knows once a call arrives: the policy snapshot it
// decides under, the caller, whether identity and role allow the operation,
// and the draft of the call's audit record.
struct AuditedCall {
  std::shared_ptr<const AccessPolicy> policy;
  absl::StatusOr<Caller> caller = absl::UnknownError("not identified");
  absl::Status allowed;    // identity, then role
  v1::AuditRecord record;  // draft: the store or FinishAudited completes it
};

// Begins a call of `operation`, which needs one of `roles`: takes the policy
// snapshot, identifies the caller, checks the role (the record's actor_role
// is the one the caller has), and drafts the audit
// record (trace context from the W3C `traceparent` header or new, a new span,
// start time, actor OIN, partner and certificate fingerprint, processing
// activity and legal basis from the policy, policy version). Sends this
// call's span back in a `traceparent` trailer.
AuditedCall BeginCall(grpc::CallbackServerContext* context,
                      const CurrentPolicy& policy,
                      CertificateIdentityCache& certificates,
                      absl::string_view operation, CallRoles roles);

// A record for the same caller and trace as `call`, for another operation or
// data subject (e.g. each delivered event): a new span under the call's.
v1::AuditRecord ChildRecord(const v1::AuditRecord& call_record,
                            absl::string_view operation,
                            const AccessPolicy& policy);

// Completes `record` with `status` and commits it; once it is on disk, logs
// it and calls `done` with `status`, or with UNAVAILABLE if the record cannot
// be written (nothing leaves unaudited).
void RecordOutcome(SignalStore& store, v1::AuditRecord record,
                   const absl::Status& status, StatusCallback done);

// Completes `record` with `status` and commits it; once it is on disk,
// finishes the call with `status`. If the record cannot be written, the call
// finishes UNAVAILABLE instead, so nothing leaves unaudited. Logs the call.
void FinishAudited(grpc::ServerUnaryReactor* reactor, SignalStore& store,
                   v1::AuditRecord record, const absl::Status& status);

// Logs the outcome of a write whose record the store completed: `draft`
// with `status` and `signal_id`.
void LogOutcome(v1::AuditRecord draft, const absl::Status& status,
                absl::string_view signal_id);

// A record of an operation the hub does on its own or on a local trigger
// (SIGHUP reload, retention): new trace, actor "ketenhub".
v1::AuditRecord HubRecord(absl::string_view operation,
                          const AccessPolicy& policy);

// FinishAudited for a refusal; returns `reactor` for `return`.
grpc::ServerUnaryReactor* FinishRefused(grpc::ServerUnaryReactor* reactor,
                                        SignalStore& store, AuditedCall& call,
                                        const absl::Status& status);

// Logs a committed call: operation, partner, trace id, code and rule, the
// first signal id. Never the subject pseudonym or content.
void LogAudited(const v1::AuditRecord& record);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_AUDITED_CALL_H_
