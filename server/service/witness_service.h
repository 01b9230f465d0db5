#ifndef KETENHUB_SERVER_SERVICE_WITNESS_SERVICE_H_
#define KETENHUB_SERVER_SERVICE_WITNESS_SERVICE_H_

#include <string>

#include "ketenhub/v1/audit.grpc.pb.h"
#include "server/audit/checkpoint_signer.h"
#include "server/policy/current_policy.h"
#include "server/security/certificate_identity.h"
#include "server/service/unary_call.h"
#include "server/service/work_queue.h"
#include "server/storage/signal_store.h"

namespace ketenhub {

// WitnessService for witnesses (role WITNESS, e.g. ketenwitness run by the
// data protection officer): a checkpoint signed on demand with the
// cosignatures held, consistency proofs, and the witness's cosignatures,
// checked against the key its policy entry names and against the trail.
// Every call is audited. Thread-safe; collaborators must outlive it.
class WitnessServiceImpl final : public v1::WitnessService::CallbackService {
 public:
  // Cosignatures are also kept in `cosigned_file` (KeepCosignatures).
  WitnessServiceImpl(const CurrentPolicy* policy, SignalStore* store,
                     const CheckpointSigner* signer,
                     CertificateIdentityCache* certificates,
                     std::string cosigned_file);

 private:
  grpc::ServerUnaryReactor* HandleGetCheckpoint(
      UnaryCall& call, const v1::GetCheckpointRequest& request,
      v1::WitnessCheckpoint* response);
  grpc::ServerUnaryReactor* HandleGetConsistencyProof(
      UnaryCall& call, const v1::GetConsistencyProofRequest& request,
      v1::ConsistencyProof* response);
  grpc::ServerUnaryReactor* HandleAddCosignature(
      UnaryCall& call, const v1::AddCosignatureRequest& request,
      v1::AddCosignatureResponse* response);
  // OK when `cosignature` is the caller's, signed by its key, and covers a
  // checkpoint of this hub's trail (its key, a size it has, that root).
  absl::Status CheckCosignature(const Caller& caller,
                                const v1::Cosignature& cosignature) const;

  SignalStore* const store_;
  const CheckpointSigner* const signer_;
  const std::string cosigned_file_;
  // Writes cosigned_file_ (fsynced) off the commit pipeline's thread, one
  // at a time.
  WorkQueue files_{"keten-witness"};
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_WITNESS_SERVICE_H_
