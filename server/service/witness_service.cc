#include "server/service/witness_service.h"

#include "absl/strings/str_cat.h"
#include "server/audit/audit_record.h"
#include "server/audit/checkpoint.h"
#include "server/service/audit_answers.h"
#include "server/service/audit_checkpoints.h"
#include "server/service/audited_call.h"
#include "server/service/grpc_status.h"

namespace ketenhub {

WitnessServiceImpl::WitnessServiceImpl(const CurrentPolicy* policy,
                                       SignalStore* store,
                                       const CheckpointSigner* signer,
                                       CertificateIdentityCache* certificates,
                                       std::string cosigned_file)
    : store_(store), signer_(signer), cosigned_file_(std::move(cosigned_file)) {
  const std::string service = v1::WitnessService::service_full_name();
  const CallEnvironment env{policy, certificates, store};
  using Self = WitnessServiceImpl;
  MarkMethodCallback(MethodIndex(service, "GetCheckpoint"),
                     UnaryHandler(this, &Self::HandleGetCheckpoint, env,
                                  "audit_checkpoint", v1::ROLE_WITNESS));
  MarkMethodCallback(MethodIndex(service, "GetConsistencyProof"),
                     UnaryHandler(this, &Self::HandleGetConsistencyProof, env,
                                  "audit_consistency_proof", v1::ROLE_WITNESS));
  MarkMethodCallback(MethodIndex(service, "AddCosignature"),
                     UnaryHandler(this, &Self::HandleAddCosignature, env,
                                  "audit_cosign", v1::ROLE_WITNESS));
}

grpc::ServerUnaryReactor* WitnessServiceImpl::HandleGetCheckpoint(
    UnaryCall& call, const v1::GetCheckpointRequest&,
    v1::WitnessCheckpoint* response) {
  absl::StatusOr<std::vector<v1::Cosignature>> cosignatures =
      store_->audit().Cosignatures();
  if (!cosignatures.ok()) return call.Finish(cosignatures.status());
  for (v1::Cosignature& cosignature : *cosignatures)
    *response->add_cosignatures() = std::move(cosignature);
  return AnswerCheckpoint(call, *store_, *signer_,
                          response->mutable_checkpoint());
}

grpc::ServerUnaryReactor* WitnessServiceImpl::HandleGetConsistencyProof(
    UnaryCall& call, const v1::GetConsistencyProofRequest& request,
    v1::ConsistencyProof* response) {
  return AnswerConsistencyProof(call, *store_, request, response);
}

absl::Status WitnessServiceImpl::CheckCosignature(
    const Caller& caller, const v1::Cosignature& cosignature) const {
  if (absl::Status valid =
          VerifyCosignature(cosignature, caller.partner->witness_public_key());
      !valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(valid.message(), " (the key of witness ",
                     caller.partner->id(), " in the policy)"));
  }
  if (cosignature.hub_key_id() != signer_->key_id()) {
    return absl::InvalidArgumentError(
        "cosignature: covers a checkpoint of another hub key");
  }
  absl::StatusOr<std::string> root =
      store_->audit().RootAt(cosignature.tree_size());
  if (!root.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cosignature: the trail has no ", cosignature.tree_size(), " records"));
  }
  if (*root != cosignature.root_hash()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cosignature: the trail of ", cosignature.tree_size(),
                     " records has another root"));
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* WitnessServiceImpl::HandleAddCosignature(
    UnaryCall& call, const v1::AddCosignatureRequest& request,
    v1::AddCosignatureResponse*) {
  const v1::Cosignature& cosignature = request.cosignature();
  auto& details = *call.record().mutable_details();
  details["tree_size"] = absl::StrCat(cosignature.tree_size());
  details["witness_key_id"] = cosignature.witness_key_id().substr(0, 64);
  if (absl::Status valid = CheckCosignature(call.caller(), cosignature);
      !valid.ok()) {
    return call.Finish(valid);
  }
  store_->audit().StoreCosignature(
      cosignature, call.record(),
      [this, reactor = call.reactor(),
       draft = call.record()](absl::Status stored) mutable {
        // Kept outside the database too, before the witness hears OK (it
        // hands the cosignature in again otherwise); not on this thread,
        // the commit pipeline's.
        files_.Run([this, reactor, stored, draft = std::move(draft)]() mutable {
          if (stored.ok()) {
            absl::StatusOr<std::vector<v1::Cosignature>> all =
                store_->audit().Cosignatures();
            stored = all.ok() ? KeepCosignatures(*all, cosigned_file_)
                              : all.status();
          }
          LogOutcome(std::move(draft), stored, "");
          reactor->Finish(ToGrpcStatus(stored));
        });
      });
  return call.reactor();
}

}  // namespace ketenhub
