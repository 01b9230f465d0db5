#include "server/service/consistency_proof.h"

#include "absl/strings/str_cat.h"

namespace ketenhub {

grpc::ServerUnaryReactor* AnswerConsistencyProof(
    UnaryCall& call, SignalStore& store,
    const v1::GetConsistencyProofRequest& request,
    v1::ConsistencyProof* response) {
  const uint64_t size = request.new_size() == 0 ? store.audit().Head().size
                                                : request.new_size();
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
