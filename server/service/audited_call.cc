#include "server/service/audited_call.h"

#include <openssl/rand.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "grpc/grpc_security_constants.h"
#include "server/audit/audit_record.h"
#include "server/common/json_log.h"
#include "server/common/metrics.h"
#include "server/service/acting_person.h"
#include "server/service/grpc_status.h"
#include "server/storage/time_conversion.h"

namespace ketenhub {
namespace {

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()),
             static_cast<int>(raw.size()));
  return absl::BytesToHexString(raw);
}

bool IsLowerHex(absl::string_view s, size_t length) {
  if (s.size() != length || s == std::string(length, '0')) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

// Sets trace and parent span from a valid "00-<trace>-<span>-<flags>".
void ReadTraceParent(const grpc::ServerContextBase& context,
                     v1::AuditRecord* record) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("traceparent");
  if (it == metadata.end()) return;
  const absl::string_view value(it->second.data(), it->second.size());
  std::vector<absl::string_view> parts = absl::StrSplit(value, '-');
  if (parts.size() < 4 || parts[0] != "00" || !IsLowerHex(parts[1], 32) ||
      !IsLowerHex(parts[2], 16)) {
    return;
  }
  record->set_trace_id(std::string(parts[1]));
  record->set_parent_span_id(std::string(parts[2]));
}

// The certificate's OIN and fingerprint for a caller that could not be
// identified as a partner.
void AddUnidentifiedPeer(const grpc::ServerContextBase& context,
                         v1::AuditRecord* record) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr) return;
  std::vector<grpc::string_ref> pems =
      auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pems.empty()) return;
  const absl::string_view pem(pems.front().data(), pems.front().size());
  absl::StatusOr<std::string> fingerprint = CertificateFingerprintPem(pem);
  if (fingerprint.ok()) record->set_peer_certificate_sha256(*fingerprint);
  absl::StatusOr<CertificateIdentity> identity = IdentifyCertificatePem(pem);
  if (identity.ok()) record->set_actor_oin(identity->oin);
}

void AddPolicy(const AccessPolicy& policy, v1::AuditRecord* record) {
  record->set_policy_version(policy.version());
  if (const v1::ProcessingActivity* activity =
          policy.ActivityFor(record->operation())) {
    record->set_processing_activity_id(activity->id());
    record->set_legal_basis(activity->legal_basis());
  }
}

}  // namespace

AuditedCall BeginCall(grpc::CallbackServerContext* context,
                      const CurrentPolicy& policy,
                      CertificateIdentityCache& certificates,
                      absl::string_view operation, CallRoles roles) {
  AuditedCall call;
  SetTimestamp(absl::Now(), call.record.mutable_start_time());
  call.record.set_operation(std::string(operation));
  call.record.set_actor_role(v1::Role_Name(roles.first()));
  ReadTraceParent(*context, &call.record);
  if (call.record.trace_id().empty()) call.record.set_trace_id(RandomHex(16));
  call.record.set_span_id(RandomHex(8));
  context->AddTrailingMetadata("traceparent",
                               absl::StrCat("00-", call.record.trace_id(), "-",
                                            call.record.span_id(), "-01"));
  call.policy = policy.Get();
  AddPolicy(*call.policy, &call.record);
  call.caller = IdentifyCaller(*context, call.policy, certificates);
  if (!call.caller.ok()) {
    call.allowed = call.caller.status();
    AddUnidentifiedPeer(*context, &call.record);
    return call;
  }
  call.record.set_actor_oin(call.caller->partner->oin());
  call.record.set_actor_partner_id(call.caller->partner->id());
  call.record.set_peer_certificate_sha256(call.caller->certificate_fingerprint);
  absl::StatusOr<v1::Role> role = roles.Of(*call.caller->partner);
  call.allowed = role.status();
  if (!call.allowed.ok()) return call;
  call.record.set_actor_role(v1::Role_Name(*role));
  absl::StatusOr<std::optional<ActingPerson>> person =
      ReadActingPerson(*context);
  if (!person.ok()) {
    call.allowed = person.status();
    return call;
  }
  if (person->has_value()) {
    call.record.set_acting_user_id((*person)->id);
    call.record.set_acting_user_role((*person)->role);
    call.record.set_acting_user_name((*person)->name);
  } else if (call.policy->PersonRequired(*call.caller->partner, *role,
                                         operation)) {
    call.allowed = absl::UnauthenticatedError(absl::StrCat(
        kUserHeader, ": this call must name the person acting (metadata ",
        kUserHeader, " and ", kUserRoleHeader, "; policy person_rules)"));
  }
  return call;
}

v1::AuditRecord ChildRecord(const v1::AuditRecord& call_record,
                            absl::string_view operation,
                            const AccessPolicy& policy) {
  v1::AuditRecord record;
  record.set_trace_id(call_record.trace_id());
  record.set_span_id(RandomHex(8));
  record.set_parent_span_id(call_record.span_id());
  record.set_operation(std::string(operation));
  SetTimestamp(absl::Now(), record.mutable_start_time());
  record.set_actor_oin(call_record.actor_oin());
  record.set_actor_partner_id(call_record.actor_partner_id());
  record.set_actor_role(call_record.actor_role());
  record.set_peer_certificate_sha256(call_record.peer_certificate_sha256());
  record.set_acting_user_id(call_record.acting_user_id());
  record.set_acting_user_role(call_record.acting_user_role());
  record.set_acting_user_name(call_record.acting_user_name());
  AddPolicy(policy, &record);
  return record;
}

v1::AuditRecord HubRecord(absl::string_view operation,
                          const AccessPolicy& policy) {
  v1::AuditRecord record;
  record.set_trace_id(RandomHex(16));
  record.set_span_id(RandomHex(8));
  record.set_operation(std::string(operation));
  SetTimestamp(absl::Now(), record.mutable_start_time());
  record.set_actor_partner_id("ketenhub");
  AddPolicy(policy, &record);
  return record;
}

void RecordOutcome(SignalStore& store, v1::AuditRecord record,
                   const absl::Status& status, StatusCallback done) {
  SetAuditOutcome(status, &record);
  v1::AuditRecord logged = record;
  std::vector<v1::AuditRecord> records;
  records.push_back(std::move(record));
  store.audit().Record(std::move(records), [status, logged = std::move(logged),
                                            done = std::move(done)](
                                               absl::Status written) mutable {
    if (!written.ok()) {
      LogEvent(
          LogLevel::kError, "audit_write_failed",
          {{"operation", logged.operation()}, {"trace_id", logged.trace_id()}});
      std::move(done)(
          absl::UnavailableError("the audit trail cannot be written; retry"));
      return;
    }
    LogAudited(logged);
    std::move(done)(status);
  });
}

void FinishAudited(grpc::ServerUnaryReactor* reactor, SignalStore& store,
                   v1::AuditRecord record, const absl::Status& status) {
  RecordOutcome(store, std::move(record), status,
                [reactor](absl::Status outcome) {
                  reactor->Finish(ToGrpcStatus(outcome));
                });
}

grpc::ServerUnaryReactor* FinishRefused(grpc::ServerUnaryReactor* reactor,
                                        SignalStore& store, AuditedCall& call,
                                        const absl::Status& status) {
  FinishAudited(reactor, store, std::move(call.record), status);
  return reactor;
}

void LogOutcome(v1::AuditRecord draft, const absl::Status& status,
                absl::string_view signal_id) {
  SetAuditOutcome(status, &draft);
  if (!signal_id.empty()) draft.add_signal_ids(std::string(signal_id));
  LogAudited(draft);
}

void LogAudited(const v1::AuditRecord& record) {
  const absl::string_view partner = record.actor_partner_id().empty()
                                        ? absl::string_view("unidentified")
                                        : record.actor_partner_id();
  HubMetrics().Add("ketenhub_requests_total",
                   {{"operation", record.operation()},
                    {"partner", std::string(partner)},
                    {"code", record.status_code()}});
  const absl::string_view signal_id =
      record.signal_ids().empty() ? absl::string_view() : record.signal_ids(0);
  if (record.status_code() == "OK") {
    LogEvent(LogLevel::kInfo, record.operation(),
             {{"partner", partner},
              {"trace_id", record.trace_id()},
              {"signal_id", signal_id}});
    return;
  }
  LogEvent(LogLevel::kWarning, record.operation(),
           {{"partner", partner},
            {"trace_id", record.trace_id()},
            {"code", record.status_code()},
            {"reason", record.status_rule()}});
}

}  // namespace ketenhub
