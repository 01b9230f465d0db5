#ifndef KETENHUB_SERVER_SERVICE_SIGNAL_SERVICE_H_
#define KETENHUB_SERVER_SERVICE_SIGNAL_SERVICE_H_

#include "ketenhub/v1/signal.grpc.pb.h"
#include "server/policy/current_policy.h"
#include "server/policy/signal_validation.h"
#include "server/security/subject_pseudonymizer.h"
#include "server/service/audit_answers.h"
#include "server/service/caller_identity.h"
#include "server/service/rate_limiter.h"
#include "server/service/unary_call.h"
#include "server/storage/signal_store.h"

namespace ketenhub {

// SignalService for partner systems (role SUBMITTER), on gRPC's callback API.
// Handlers never wait for disk: writes go to the store's commit pipeline,
// which finishes the call after the fsync. Requests are read with
// ParseRequest (parsed_request.h), so bytes that are no request are refused
// INVALID_ARGUMENT; SubmitBatch is registered in the constructor, on such
// requests. Thread-safe. The collaborators must outlive the service.
class SignalServiceImpl final : public v1::SignalService::CallbackService {
 public:
  SignalServiceImpl(const CurrentPolicy* policy, SignalStore* store,
                    const SubjectPseudonymizer* pseudonymizer,
                    SignalLimits limits, CertificateIdentityCache* certificates,
                    PartnerLimits* partner_limits);

  // Called once per signal with its receipt or refusal, after the signal
  // (if accepted) and its audit record are on disk. `retry_after` is set when
  // the partner's submit rate refused it.
  using SubmitDone = absl::AnyInvocable<void(absl::StatusOr<v1::Receipt> result,
                                             absl::Duration retry_after) &&>;

  // Submits one signal for `caller`, identified under `policy` with its
  // submitter role checked (by the call's preamble, or CurrentCaller): takes a
  // token of the partner's submit rate, admits the signal and commits it with
  // `record` (the call's draft audit record); a refusal is committed as an
  // audit record of its own. Counts the outcome in the metrics and logs it.
  void SubmitOne(const AccessPolicy& policy, const Caller& caller,
                 v1::AuditRecord record, const v1::SubmitRequest& request,
                 SubmitDone done);

  // Puts the newest signed checkpoint (if any) into `receipt`.
  void AttachCheckpoint(v1::Receipt& receipt) const;

  // The caller of a SubmitBatch stream under the current policy: `caller`
  // when the policy is unchanged, else the certificate identified again and
  // its submitter role checked again.
  absl::StatusOr<Caller> CurrentCaller(
      const grpc::CallbackServerContext& context, const Caller& caller) const;
  // The policy in force now.
  std::shared_ptr<const AccessPolicy> Policy() const { return policy_->Get(); }

 private:
  // The cores of the unary methods (registered with UnaryHandler).
  grpc::ServerUnaryReactor* HandleSubmit(UnaryCall& call,
                                         const v1::SubmitRequest& request,
                                         v1::Receipt* receipt);
  grpc::ServerUnaryReactor* HandleGetStatus(UnaryCall& call,
                                            const v1::GetStatusRequest& request,
                                            v1::SignalStatus* status);
  grpc::ServerUnaryReactor* HandleWithdraw(UnaryCall& call,
                                           const v1::WithdrawRequest& request,
                                           v1::SignalStatus* status);
  grpc::ServerUnaryReactor* HandleGetConsistencyProof(
      UnaryCall& call, const v1::GetConsistencyProofRequest& request,
      v1::ConsistencyProof* proof) {
    return AnswerConsistencyProof(call, *store_, request, proof);
  }

  // Checks the signal's fields and the category rule, and builds what the
  // store needs, with the receivers of the signal's routes. Sets the subject
  // pseudonym in `record` once the subject is valid.
  absl::StatusOr<SubmitCommand> Admit(const AccessPolicy& policy,
                                      const Caller& caller,
                                      const v1::SubmitRequest& request,
                                      v1::AuditRecord& record) const;

  const CurrentPolicy* const policy_;
  SignalStore* const store_;
  const SubjectPseudonymizer* const pseudonymizer_;
  const SignalLimits limits_;
  CertificateIdentityCache* const certificates_;
  PartnerLimits* const partner_limits_;
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_SIGNAL_SERVICE_H_
