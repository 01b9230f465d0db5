#ifndef KETENHUB_SERVER_SERVICE_AUDIT_SERVICE_H_
#define KETENHUB_SERVER_SERVICE_AUDIT_SERVICE_H_

#include "ketenhub/v1/audit.grpc.pb.h"
#include "server/audit/checkpoint_signer.h"
#include "server/policy/current_policy.h"
#include "server/security/certificate_identity.h"
#include "server/security/subject_pseudonymizer.h"
#include "server/service/unary_call.h"
#include "server/service/work_queue.h"
#include "server/storage/signal_store.h"

namespace ketenhub {

// AuditService for auditors (role AUDITOR): queries of the audit trail, signed
// checkpoints and Merkle proofs. Every call is itself audited before its
// answer leaves. Never returns signal content. Thread-safe; collaborators
// must outlive it.
class AuditServiceImpl final : public v1::AuditService::CallbackService {
 public:
  AuditServiceImpl(const CurrentPolicy* policy, SignalStore* store,
                   const SubjectPseudonymizer* pseudonymizer,
                   const CheckpointSigner* signer,
                   CertificateIdentityCache* certificates);

  grpc::ServerWriteReactor<v1::AuditQueryResponse>* Query(
      grpc::CallbackServerContext* context,
      const v1::AuditQueryRequest* request) override;

 private:
  // The cores of the unary methods (registered with UnaryHandler).
  grpc::ServerUnaryReactor* HandleGetCheckpoint(
      UnaryCall& call, const v1::GetCheckpointRequest& request,
      v1::SignedCheckpoint* response);
  grpc::ServerUnaryReactor* HandleGetInclusionProof(
      UnaryCall& call, const v1::GetInclusionProofRequest& request,
      v1::InclusionProof* response);
  grpc::ServerUnaryReactor* HandleGetConsistencyProof(
      UnaryCall& call, const v1::GetConsistencyProofRequest& request,
      v1::ConsistencyProof* response);

  // What a Query asks the store for.
  struct QueryPlan {
    AuditFilter filter;
    uint64_t from_index = 0;
    uint32_t page_size = 0;
  };
  // Checks `request` and makes its plan; names the person and the signal
  // asked about in the call's `record`. INVALID_ARGUMENT naming the field.
  absl::StatusOr<QueryPlan> PlanQuery(const v1::AuditQueryRequest& request,
                                      v1::AuditRecord& record) const;

  const CurrentPolicy* const policy_;
  SignalStore* const store_;
  const SubjectPseudonymizer* const pseudonymizer_;
  const CheckpointSigner* const signer_;
  CertificateIdentityCache* const certificates_;
  WorkQueue queries_{"keten-audit"};  // last: its work uses the members
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_AUDIT_SERVICE_H_
