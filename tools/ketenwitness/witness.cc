#include "tools/ketenwitness/witness.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "server/audit/checkpoint.h"
#include "server/audit/merkle.h"
#include "server/common/files.h"

namespace ketenhub {
namespace {

constexpr char kAccepted[] = "accepted";
constexpr char kLog[] = "cosignatures.jsonl";

bool SyncPath(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

absl::Status Unwritable(const std::string& path) {
  return absl::FailedPreconditionError(
      absl::StrCat("witness: cannot write ", path));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Witness>> Witness::Open(
    const std::string& state_dir) {
  std::error_code error;
  std::filesystem::create_directories(state_dir, error);
  if (error || ::chmod(state_dir.c_str(), 0700) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("witness: cannot create ", state_dir));
  }
  absl::StatusOr<std::unique_ptr<CheckpointSigner>> signer =
      CheckpointSigner::OpenOrCreate(state_dir + "/witness.key",
                                     state_dir + "/witness.pub");
  if (!signer.ok()) return signer.status();
  return std::unique_ptr<Witness>(new Witness(state_dir, *std::move(signer)));
}

absl::StatusOr<std::optional<v1::SignedCheckpoint>> Witness::Accepted() const {
  const std::string path = absl::StrCat(state_dir_, "/", kAccepted);
  std::error_code error;
  if (!std::filesystem::exists(path, error))
    return std::optional<v1::SignedCheckpoint>();
  std::ifstream in(path, std::ios::binary);
  v1::SignedCheckpoint accepted;
  if (!in || !accepted.ParseFromIstream(&in)) {
    return absl::DataLossError(
        absl::StrCat("witness: ", path,
                     " is unreadable; the witness cosigns nothing until "
                     "its operator restores it"));
  }
  return accepted;
}

absl::Status Witness::CheckExtends(
    v1::WitnessService::StubInterface& hub, const ClientOptions& options,
    const v1::SignedCheckpoint& checkpoint) const {
  absl::StatusOr<std::optional<v1::SignedCheckpoint>> accepted = Accepted();
  if (!accepted.ok()) return accepted.status();
  if (!accepted->has_value()) return absl::OkStatus();  // trust on first use
  const v1::SignedCheckpoint& last = **accepted;
  if (checkpoint.tree_size() < last.tree_size()) {
    return absl::DataLossError(absl::StrCat(
        "the hub's audit trail shrank: ", checkpoint.tree_size(),
        " records now, ", last.tree_size(), " when this witness cosigned"));
  }
  absl::Status extends;
  if (checkpoint.tree_size() == last.tree_size()) {
    if (checkpoint.root_hash() != last.root_hash())
      extends = absl::DataLossError("another root for the same size");
  } else {
    v1::GetConsistencyProofRequest request;
    request.set_old_size(last.tree_size());
    request.set_new_size(checkpoint.tree_size());
    v1::ConsistencyProof proof;
    absl::Status asked =
        CallWithRetries(options, [&](grpc::ClientContext* context) {
          return hub.GetConsistencyProof(context, request, &proof);
        });
    if (!asked.ok() && !absl::IsInvalidArgument(asked) &&
        !absl::IsOutOfRange(asked)) {
      return asked;
    }
    extends = asked.ok() ? merkle::VerifyConsistency(
                               last.tree_size(), checkpoint.tree_size(),
                               last.root_hash(), checkpoint.root_hash(),
                               {proof.hashes().begin(), proof.hashes().end()})
                         : asked;
  }
  if (extends.ok()) return extends;
  return absl::DataLossError(absl::StrCat(
      "the hub's audit trail of ", checkpoint.tree_size(),
      " records does not extend the one of ", last.tree_size(),
      " this witness cosigned (rolled back and regrown, or forked): ",
      extends.message()));
}

absl::Status Witness::Keep(const v1::SignedCheckpoint& checkpoint,
                           const v1::Cosignature& cosignature) const {
  const std::string path = absl::StrCat(state_dir_, "/", kAccepted);
  const std::string temporary = path + ".tmp";
  if (!WritePrivateFile(temporary, checkpoint.SerializeAsString()).ok() ||
      std::rename(temporary.c_str(), path.c_str()) != 0 ||
      !SyncPath(state_dir_, O_RDONLY | O_DIRECTORY)) {
    return Unwritable(path);
  }
  const std::string log = absl::StrCat(state_dir_, "/", kLog);
  std::string line;
  (void)google::protobuf::util::MessageToJsonString(cosignature, &line);
  {
    std::ofstream out(log, std::ios::app);
    out << line << "\n";
    if (!out) return Unwritable(log);
  }
  if (::chmod(log.c_str(), 0600) != 0 || !SyncPath(log, O_WRONLY))
    return Unwritable(log);
  return absl::OkStatus();
}

absl::StatusOr<v1::Cosignature> Witness::Round(
    v1::WitnessService::StubInterface& hub, const ClientOptions& options,
    const std::string& hub_key_pem) {
  v1::WitnessCheckpoint answer;
  absl::Status asked =
      CallWithRetries(options, [&](grpc::ClientContext* context) {
        return hub.GetCheckpoint(context, v1::GetCheckpointRequest(), &answer);
      });
  if (!asked.ok()) return asked;
  const v1::SignedCheckpoint& checkpoint = answer.checkpoint();
  if (absl::Status signed_by_hub = VerifyCheckpoint(checkpoint, hub_key_pem);
      !signed_by_hub.ok()) {
    return absl::DataLossError(
        absl::StrCat("the hub's checkpoint is not signed by --hub-key: ",
                     signed_by_hub.message()));
  }
  if (absl::Status extends = CheckExtends(hub, options, checkpoint);
      !extends.ok()) {
    return extends;
  }
  v1::Cosignature cosignature;
  cosignature.set_witness_key_id(signer_->key_id());
  cosignature.set_tree_size(checkpoint.tree_size());
  cosignature.set_root_hash(checkpoint.root_hash());
  cosignature.set_hub_key_id(checkpoint.key_id());
  cosignature.mutable_time()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  cosignature.set_signature(signer_->SignBytes(CosignatureText(cosignature)));
  // Kept before it leaves: after a crash the witness still knows what it
  // vouched for.
  if (absl::Status kept = Keep(checkpoint, cosignature); !kept.ok())
    return kept;
  v1::AddCosignatureRequest request;
  *request.mutable_cosignature() = cosignature;
  v1::AddCosignatureResponse response;
  absl::Status handed =
      CallWithRetries(options, [&](grpc::ClientContext* context) {
        return hub.AddCosignature(context, request, &response);
      });
  if (!handed.ok()) return handed;
  return cosignature;
}

}  // namespace ketenhub
