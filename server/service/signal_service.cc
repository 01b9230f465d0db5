#include "server/service/signal_service.h"

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "server/audit/audit_record.h"
#include "server/common/metrics.h"
#include "server/common/status_macros.h"
#include "server/policy/identifier_rules.h"
#include "server/policy/signal_validation.h"
#include "server/routing/release.h"
#include "server/service/audited_call.h"
#include "server/service/grpc_status.h"
#include "server/service/parsed_request.h"
#include "server/service/unary_call.h"

namespace ketenhub {
namespace {

// The partner and category labels of ketenhub_submits_total.
MetricLabels SubmitLabels(const std::string& partner,
                          const v1::SubmitRequest& request) {
  const v1::Category category = request.signal().category();
  return {
      {"partner", partner},
      {"category", v1::Category_IsValid(category) ? v1::Category_Name(category)
                                                  : std::string("unknown")}};
}

// Counts one submit's outcome in ketenhub_submits_total.
void CountSubmit(const std::string& partner, const v1::SubmitRequest& request,
                 const absl::Status& outcome) {
  MetricLabels labels = SubmitLabels(partner, request);
  labels.emplace_back("code", absl::StatusCodeToString(outcome.code()));
  HubMetrics().Add("ketenhub_submits_total", labels);
}

// Counts a Submit refused before its signal was looked at (identity, role,
// a request that did not parse).
void CountRefusedSubmit(const AuditedCall& call,
                        const v1::SubmitRequest& request,
                        const absl::Status& refused) {
  CountSubmit(call.caller.ok() ? call.caller->partner->id() : "unidentified",
              request, refused);
}

// One SubmitBatch stream. Reads a message, hands each of its signals to
// SubmitOne, and reads the next while fewer than kMaxOutstanding signals
// wait for their commit; answers are gathered and written one response at a
// time, each carrying every answer that arrived during the previous write.
// Finishes OK once the partner has closed its side and every signal is
// answered; finishes only when no commit is outstanding, because the commit
// callbacks hold `this`. A message that cannot be parsed ends the reading:
// the stream finishes INVALID_ARGUMENT, naming the message, once the signals
// before it are answered (its refusal is audited), so that no signal is left
// unanswered under an OK.
class SubmitBatchReactor final
    : public grpc::ServerBidiReactor<ParsedRequest<v1::SubmitBatchRequest>,
                                     v1::SubmitBatchResponse> {
 public:
  SubmitBatchReactor(SignalServiceImpl* service, SignalStore* store,
                     grpc::CallbackServerContext* context, AuditedCall call)
      : service_(service),
        store_(store),
        context_(context),
        stream_record_(std::move(call.record)) {
    if (!call.allowed.ok()) {
      RecordOutcome(
          *store_, std::move(stream_record_), call.allowed,
          [this](absl::Status refused) { Finish(ToGrpcStatus(refused)); });
      return;
    }
    caller_ = *std::move(call.caller);
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the partner closed its side, or the call ended
      mu_.Lock();
      reading_ = false;
      Run(NextLocked());
      return;
    }
    const uint64_t message_index = next_message_++;
    if (!request_.status.ok()) return Unparsable(message_index);
    const v1::SubmitBatchRequest& message = request_.message;
    {
      absl::MutexLock lock(&mu_);
      outstanding_ += message.requests_size();
    }
    absl::StatusOr<Caller> caller = service_->CurrentCaller(*context_, caller_);
    if (caller.ok()) caller_ = *caller;
    // A refusal of the caller is recorded under the policy that refused it.
    const std::shared_ptr<const AccessPolicy> policy =
        caller.ok() ? caller_.policy : service_->Policy();
    for (const v1::SubmitRequest& request : message.requests()) {
      const uint64_t index = next_index_++;
      v1::AuditRecord record = ChildRecord(stream_record_, "submit", *policy);
      std::string client_ref = request.signal().client_ref();
      auto done = [this, index, client_ref = std::move(client_ref)](
                      absl::StatusOr<v1::Receipt> result,
                      absl::Duration retry_after) mutable {
        Answer(index, std::move(client_ref), std::move(result), retry_after);
      };
      if (!caller.ok()) {
        CountSubmit(caller_.partner->id(), request, caller.status());
        RecordOutcome(*store_, std::move(record), caller.status(),
                      [done = std::move(done)](absl::Status refused) mutable {
                        std::move(done)(refused, absl::ZeroDuration());
                      });
        continue;
      }
      service_->SubmitOne(*caller_.policy, caller_, std::move(record), request,
                          std::move(done));
    }
    mu_.Lock();
    if (outstanding_ < kMaxOutstanding) {
      read_pending_ = true;
    } else {
      read_paused_ = true;
    }
    Run(NextLocked());
  }

  void OnWriteDone(bool ok) override {
    mu_.Lock();
    writing_ = false;
    if (!ok) broken_ = true;  // the partner is gone; its answers are lost
    Run(NextLocked());
  }

  void OnDone() override { delete this; }

 private:
  static constexpr int kMaxOutstanding = 2048;

  // Stops reading at message `message_index`, which did not parse; the
  // stream ends with its refusal once everything before it is answered.
  void Unparsable(uint64_t message_index) {
    const absl::Status refused = absl::InvalidArgumentError(absl::StrCat(
        "message ", message_index,
        " of the stream: ", request_.status.message(),
        "; neither it nor anything after it was read, the signals answered "
        "before it stand"));
    {
      absl::MutexLock lock(&mu_);
      reading_ = false;
      ++outstanding_;  // the refusal's audit record
    }
    std::shared_ptr<const AccessPolicy> policy = service_->Policy();
    RecordOutcome(*store_, ChildRecord(stream_record_, "submit", *policy),
                  refused, [this](absl::Status outcome) {
                    mu_.Lock();
                    --outstanding_;
                    stream_error_ = outcome;
                    Run(NextLocked());
                  });
  }

  void Answer(uint64_t index, std::string client_ref,
              absl::StatusOr<v1::Receipt> result, absl::Duration retry_after) {
    mu_.Lock();
    --outstanding_;
    if (!broken_) {
      v1::SubmitResult* answer = pending_.add_results();
      answer->set_index(index);
      answer->set_client_ref(std::move(client_ref));
      // The same scrubbed mapping as a unary call's status.
      const grpc::Status status = ToGrpcStatus(result.status());
      answer->set_code(static_cast<int>(status.error_code()));
      if (result.ok()) {
        *answer->mutable_receipt() = *std::move(result);
      } else {
        answer->set_message(status.error_message());
      }
      answer->set_retry_after_ms(
          static_cast<uint32_t>(absl::ToInt64Milliseconds(retry_after)));
    }
    if (read_paused_ && outstanding_ <= kMaxOutstanding / 2) {
      read_paused_ = false;
      read_pending_ = true;
    }
    Run(NextLocked());
  }

  // What to start next: the next read, the next write, or the end of the
  // call. gRPC allows one read and one write in flight at a time.
  struct Actions {
    bool read = false;
    bool write = false;
    bool finish = false;
  };

  Actions NextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Actions actions;
    if (finished_) return actions;
    if (read_pending_) {
      read_pending_ = false;
      actions.read = true;
    }
    if (!writing_ && !broken_ && pending_.results_size() > 0) {
      writing_ = true;
      writing_response_.Swap(&pending_);
      pending_.Clear();
      actions.write = true;
    } else if (!reading_ && !read_paused_ && outstanding_ == 0 && !writing_) {
      finished_ = true;
      actions.finish = true;
    }
    return actions;
  }

  // Releases mu_, then starts `actions`: gRPC may run a reaction inline, and
  // reactions take mu_. Nothing touches `this` after Finish.
  void Run(Actions actions) ABSL_UNLOCK_FUNCTION(mu_) {
    const bool broken = broken_;
    const absl::Status stream_error = stream_error_;
    mu_.Unlock();
    if (actions.read) StartRead(&request_);
    if (actions.write) StartWrite(&writing_response_);
    if (actions.finish) {
      Finish(broken ? grpc::Status(grpc::StatusCode::CANCELLED,
                                   "the stream broke; answers were lost")
                    : ToGrpcStatus(stream_error));
    }
  }

  SignalServiceImpl* const service_;
  SignalStore* const store_;
  grpc::CallbackServerContext* const context_;
  v1::AuditRecord stream_record_;
  // Used only by the reading side (one read at a time).
  Caller caller_;
  ParsedRequest<v1::SubmitBatchRequest> request_;
  uint64_t next_index_ = 0;    // of the next signal
  uint64_t next_message_ = 0;  // of the next message

  absl::Mutex mu_;
  int outstanding_ ABSL_GUARDED_BY(mu_) = 0;        // handed over, not answered
  bool reading_ ABSL_GUARDED_BY(mu_) = true;        // the partner may send more
  bool read_pending_ ABSL_GUARDED_BY(mu_) = false;  // for NextLocked
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;   // too many outstanding
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;  // a write failed
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status stream_error_ ABSL_GUARDED_BY(mu_);  // how the stream ends
  v1::SubmitBatchResponse pending_ ABSL_GUARDED_BY(mu_);
  v1::SubmitBatchResponse writing_response_;  // owned by the write in flight
};

}  // namespace

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
      partner_limits_(partner_limits) {
  const std::string service = v1::SignalService::service_full_name();
  const CallEnvironment env{policy, certificates, store};
  using Self = SignalServiceImpl;
  MarkMethodCallback(
      MethodIndex(service, "Submit"),
      UnaryHandler(this, &Self::HandleSubmit, env, "submit", v1::ROLE_SUBMITTER,
                   RefusalHook<v1::SubmitRequest>(&CountRefusedSubmit)));
  MarkMethodCallback(MethodIndex(service, "GetStatus"),
                     UnaryHandler(this, &Self::HandleGetStatus, env,
                                  "get_status", v1::ROLE_SUBMITTER));
  MarkMethodCallback(MethodIndex(service, "Withdraw"),
                     UnaryHandler(this, &Self::HandleWithdraw, env, "withdraw",
                                  v1::ROLE_SUBMITTER));
  MarkMethodCallback(
      MethodIndex(service, "GetConsistencyProof"),
      UnaryHandler(this, &Self::HandleGetConsistencyProof, env,
                   "audit_consistency_proof", v1::ROLE_SUBMITTER));
  MarkMethodCallback(
      MethodIndex(service, "SubmitBatch"),
      new grpc::internal::CallbackBidiHandler<
          ParsedRequest<v1::SubmitBatchRequest>, v1::SubmitBatchResponse>(
          [this](grpc::CallbackServerContext* context) {
            return new SubmitBatchReactor(
                this, store_, context,
                BeginCall(context, *policy_, *certificates_, "submit_batch",
                          v1::ROLE_SUBMITTER));
          }));
}

absl::StatusOr<SubmitCommand> SignalServiceImpl::Admit(
    const AccessPolicy& policy, const Caller& caller,
    const v1::SubmitRequest& request, v1::AuditRecord& record) const {
  const v1::Partner& partner = *caller.partner;
  if (!request.has_signal())
    return absl::InvalidArgumentError("signal: required");
  const v1::Signal& signal = request.signal();
  KETENHUB_RETURN_IF_ERROR(ValidateSignal(signal, limits_, absl::Now()));
  const bool person_unknown =
      !SubjectPseudonymizer::HasStrongIdentifier(signal.subject());
  absl::StatusOr<std::string> subject_key =
      person_unknown ? SubjectPseudonymizer::NewPersonKey()
                     : pseudonymizer_->SubjectKey(signal.subject());
  if (!subject_key.ok()) return subject_key.status();
  // From here on the record names the person the attempt was about.
  record.set_data_subject_pseudonym(SubjectPseudonym(*subject_key));
  KETENHUB_RETURN_IF_ERROR(policy.CheckMaySubmit(partner, signal.category()));
  KETENHUB_RETURN_IF_ERROR(CheckMayIdentify(partner, signal.subject()));
  SubmitCommand command;
  command.partner_id = partner.id();
  command.signal = signal;
  command.subject_key = *std::move(subject_key);
  absl::StatusOr<std::vector<v1::storage::IdentifierKey>> identifier_keys =
      pseudonymizer_->IdentifierKeys(signal.subject());
  if (!identifier_keys.ok()) return identifier_keys.status();
  command.identifier_keys = *std::move(identifier_keys);
  command.person_unknown = person_unknown;  // a random key, until linked
  command.policy_version = policy.version();
  for (const v1::Route* route :
       policy.RoutesFor(partner.id(), signal.category())) {
    command.receivers.push_back(route->receiver());
  }
  command.match_window_days = policy.MatchWindowDays(signal.category());
  command.retention_days = policy.RetentionDays(signal.category());
  return command;
}

void SignalServiceImpl::SubmitOne(const AccessPolicy& policy,
                                  const Caller& caller, v1::AuditRecord record,
                                  const v1::SubmitRequest& request,
                                  SubmitDone done) {
  absl::Duration retry_after;
  const absl::Status allowed = partner_limits_->TakeSubmit(
      caller.partner->id(), policy.SubmitRate(*caller.partner), absl::Now(),
      &retry_after);
  absl::StatusOr<SubmitCommand> command =
      allowed.ok() ? Admit(policy, caller, request, record)
                   : absl::StatusOr<SubmitCommand>(allowed);
  if (!command.ok()) {
    CountSubmit(caller.partner->id(), request, command.status());
    RecordOutcome(
        *store_, std::move(record), command.status(),
        [done = std::move(done), retry_after](absl::Status refused) mutable {
          std::move(done)(refused, retry_after);
        });
    return;
  }
  command->audit = record;
  store_->Submit(*std::move(command),
                 [this, done = std::move(done), draft = std::move(record),
                  labels = SubmitLabels(caller.partner->id(), request)](
                     absl::StatusOr<v1::Receipt> result) mutable {
                   labels.emplace_back("code", absl::StatusCodeToString(
                                                   result.status().code()));
                   HubMetrics().Add("ketenhub_submits_total", labels);
                   LogOutcome(std::move(draft), result.status(),
                              result.ok() ? result->signal_id() : "");
                   if (result.ok()) AttachCheckpoint(*result);
                   std::move(done)(std::move(result), absl::ZeroDuration());
                 });
}

void SignalServiceImpl::AttachCheckpoint(v1::Receipt& receipt) const {
  if (std::shared_ptr<const v1::SignedCheckpoint> newest =
          store_->audit().NewestCheckpoint()) {
    *receipt.mutable_checkpoint() = *newest;
  }
}

absl::StatusOr<Caller> SignalServiceImpl::CurrentCaller(
    const grpc::CallbackServerContext& context, const Caller& caller) const {
  std::shared_ptr<const AccessPolicy> policy = policy_->Get();
  if (policy == caller.policy) return caller;
  absl::StatusOr<Caller> again =
      IdentifyCaller(context, std::move(policy), *certificates_);
  if (!again.ok()) return again;
  KETENHUB_RETURN_IF_ERROR(
      again->policy->CheckRole(*again->partner, v1::ROLE_SUBMITTER));
  return again;
}

grpc::ServerUnaryReactor* SignalServiceImpl::HandleSubmit(
    UnaryCall& call, const v1::SubmitRequest& request, v1::Receipt* receipt) {
  grpc::CallbackServerContext* context = call.context();
  grpc::ServerUnaryReactor* reactor = call.reactor();
  SubmitOne(*call.policy(), call.caller(), std::move(call.record()), request,
            [context, reactor, receipt](absl::StatusOr<v1::Receipt> result,
                                        absl::Duration retry_after) {
              if (retry_after > absl::ZeroDuration()) {
                context->AddTrailingMetadata(
                    "retry-after-ms",
                    absl::StrCat(absl::ToInt64Milliseconds(retry_after)));
              }
              if (result.ok()) *receipt = *std::move(result);
              reactor->Finish(ToGrpcStatus(result.status()));
            });
  return reactor;
}

grpc::ServerUnaryReactor* SignalServiceImpl::HandleGetStatus(
    UnaryCall& call, const v1::GetStatusRequest& request,
    v1::SignalStatus* status) {
  if (absl::Status id = CheckSignalId(request.signal_id()); !id.ok())
    return call.Finish(id);
  call.record().add_signal_ids(request.signal_id());
  absl::StatusOr<v1::storage::StoredSignal> stored =
      store_->GetOwnSignal(call.caller().partner->id(), request.signal_id());
  if (stored.ok()) {
    call.record().set_data_subject_pseudonym(
        SubjectPseudonym(stored->subject_key()));
    *status = StatusForSource(*stored, absl::Now());
    if (std::shared_ptr<const v1::SignedCheckpoint> newest =
            store_->audit().NewestCheckpoint()) {
      *status->mutable_checkpoint() = *newest;
    }
    if (absl::Status listed = AddDisclosures(store_->audit(), *status);
        !listed.ok()) {
      return call.Finish(listed);
    }
  }
  return call.Finish(stored.status());
}

grpc::ServerUnaryReactor* SignalServiceImpl::HandleWithdraw(
    UnaryCall& call, const v1::WithdrawRequest& request,
    v1::SignalStatus* status) {
  absl::Status admitted = CheckSignalId(request.signal_id());
  if (admitted.ok()) {
    admitted = CheckRequiredText("reason", request.reason(), kMaxReasonBytes);
  }
  if (!admitted.ok()) return call.Finish(admitted);
  grpc::ServerUnaryReactor* reactor = call.reactor();
  store_->Withdraw(
      call.caller().partner->id(), request.signal_id(), request.reason(),
      call.record(),
      [reactor, status, draft = call.record()](
          absl::StatusOr<v1::storage::StoredSignal> result) mutable {
        LogOutcome(std::move(draft), result.status(),
                   result.ok() ? result->signal_id() : "");
        if (result.ok()) *status = StatusForSource(*result, absl::Now());
        reactor->Finish(ToGrpcStatus(result.status()));
      });
  return reactor;
}

}  // namespace ketenhub
