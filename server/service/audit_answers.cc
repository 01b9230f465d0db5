#include "server/service/audit_answers.h"

#include "absl/strings/str_cat.h"
#include "server/audit/audit_record.h"
#include "server/service/audit_checkpoints.h"
#include "server/service/audited_call.h"
#include "server/service/grpc_status.h"

namespace ketenhub {

grpc::ServerUnaryReactor* AnswerCheckpoint(UnaryCall& call, SignalStore& store,
                                           const CheckpointSigner& signer,
                                           v1::SignedCheckpoint* checkpoint) {
  SetAuditOutcome(absl::OkStatus(), &call.record());
  LogAudited(call.record());
  std::vector<v1::AuditRecord> records;
  records.push_back(std::move(call.record()));
  grpc::ServerUnaryReactor* reactor = call.reactor();
  // The checkpoint covers the call's own record.
  store.audit().Record(std::move(records), [&store, &signer, reactor,
                                            checkpoint](absl::Status written) {
    if (!written.ok()) return reactor->Finish(ToGrpcStatus(written));
    SignAndStoreCheckpoint(
        store.audit(), signer,
        [reactor,
         checkpoint](absl::StatusOr<v1::SignedCheckpoint> signed_head) {
          if (signed_head.ok()) *checkpoint = *std::move(signed_head);
          reactor->Finish(ToGrpcStatus(signed_head.status()));
        });
  });
  return reactor;
}

grpc::ServerUnaryReactor* AnswerConsistencyProof(
    UnaryCall& call, SignalStore& store,
    const v1::GetConsistencyProofRequest& request,
    v1::ConsistencyProof* response) {
  const uint64_t size =
      request.new_size() == 0 ? store.audit().Head().size : request.new_size();
  (*call.record().mutable_details())["old_size"] =
      absl::StrCat(request.old_size());
  (*call.record().mutable_details())["new_size"] = absl::StrCat(size);
  absl::StatusOr<std::vector<std::string>> proof =
      store.audit().ConsistencyProof(request.old_size(), size);
  if (proof.ok()) {
    response->set_old_size(request.old_size());
    response->set_new_size(size);
    for (std::string& hash : *proof) response->add_hashes(std::move(hash));
  }
  return call.Finish(proof.status());
}

}  // namespace ketenhub
