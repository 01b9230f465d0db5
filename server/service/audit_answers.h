#ifndef KETENHUB_SERVER_SERVICE_AUDIT_ANSWERS_H_
#define KETENHUB_SERVER_SERVICE_AUDIT_ANSWERS_H_

#include "ketenhub/v1/signal.pb.h"
#include "server/audit/checkpoint_signer.h"
#include "server/service/unary_call.h"
#include "server/storage/signal_store.h"

// The answers that auditors (AuditService), partner systems (SignalService)
// and witnesses (WitnessService) share.
namespace ketenhub {

// The core of GetCheckpoint: commits the call's record, then signs and
// stores the tree head that covers it, into `checkpoint`.
grpc::ServerUnaryReactor* AnswerCheckpoint(UnaryCall& call, SignalStore& store,
                                           const CheckpointSigner& signer,
                                           v1::SignedCheckpoint* checkpoint);

// The core of GetConsistencyProof, which auditors (AuditService) and partner
// systems (SignalService) both call: the proof that the trail now (or of
// `new_size`) extends the one of `old_size`; the call's record names both
// sizes. INVALID_ARGUMENT for sizes the trail cannot prove between.
grpc::ServerUnaryReactor* AnswerConsistencyProof(
    UnaryCall& call, SignalStore& store,
    const v1::GetConsistencyProofRequest& request,
    v1::ConsistencyProof* response);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_AUDIT_ANSWERS_H_
