#include "server/service/audit_checkpoints.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "server/common/json_log.h"
#include "server/common/metrics.h"
#include "server/service/hub_metrics.h"

namespace ketenhub {

void SignAndStoreCheckpoint(
    AuditTrail& trail, const CheckpointSigner& signer,
    absl::AnyInvocable<void(absl::StatusOr<v1::SignedCheckpoint>) &&> done) {
  const AuditTrail::TreeHead head = trail.Head();
  v1::SignedCheckpoint checkpoint =
      signer.Sign(head.size, head.root, absl::Now());
  trail.StoreCheckpoint(checkpoint, [checkpoint, done = std::move(done)](
                                        absl::Status written) mutable {
    if (!written.ok()) return std::move(done)(written);
    std::move(done)(std::move(checkpoint));
  });
}

void SignIfGrown(SignalStore& store, const CheckpointSigner& signer,
                 uint64_t& signed_size) {
  if (store.audit().Head().size == signed_size) return;
  absl::Notification done;
  SignAndStoreCheckpoint(
      store.audit(), signer,
      [&](absl::StatusOr<v1::SignedCheckpoint> checkpoint) {
        if (checkpoint.ok()) {
          signed_size = checkpoint->tree_size();
          HubMetrics().Set("ketenhub_audit_checkpoint_tree_size", {},
                           static_cast<double>(signed_size));
          HubMetrics().Set("ketenhub_audit_checkpoint_time_seconds", {},
                           static_cast<double>(checkpoint->time().seconds()));
        } else {
          LogEvent(LogLevel::kError, "audit_checkpoint_failed",
                   {{"reason", checkpoint.status().message()}});
        }
        done.Notify();
      });
  done.WaitForNotification();
}

absl::StatusOr<OpenedSigner> OpenSigner(const std::string& key_dir,
                                        const SignalStore& store,
                                        bool replace_lost) {
  absl::StatusOr<std::optional<v1::SignedCheckpoint>> last =
      store.audit().LastCheckpoint();
  if (!last.ok()) return last.status();
  const std::string key_file = key_dir + "/audit-signing.key";
  const std::string restore =
      "restore it from its backup (operator guide, 'Keys'); the hub makes no "
      "new signing key for a trail with checkpoints unless told "
      "--replace-lost-signing-key, which the trail records";
  std::error_code error;
  const bool present = std::filesystem::exists(key_file, error);
  if (replace_lost && !last->has_value()) {
    return absl::FailedPreconditionError(
        "--replace-lost-signing-key: this trail has no checkpoints, so no key "
        "is lost; start without it");
  }
  if (last->has_value() && !present && !replace_lost) {
    return absl::FailedPreconditionError(absl::StrCat(
        "keys/audit-signing.key: missing, but this trail's checkpoints are "
        "signed by key id ",
        (*last)->key_id().substr(0, 16), "...: ", restore));
  }
  absl::StatusOr<std::unique_ptr<CheckpointSigner>> signer =
      CheckpointSigner::OpenOrCreate(key_file, key_dir + "/audit-signing.pub");
  if (!signer.ok()) return signer.status();
  OpenedSigner opened;
  if (last->has_value() && (*last)->key_id() != (*signer)->key_id()) {
    if (!replace_lost) {
      return absl::FailedPreconditionError(absl::StrCat(
          "keys/audit-signing.key: not the key that signed this trail's "
          "checkpoints (key id ",
          (*last)->key_id().substr(0, 16), "..., the file's is ",
          (*signer)->key_id().substr(0, 16), "...): ", restore));
    }
    opened.replaced_key_id = (*last)->key_id();
  } else if (replace_lost) {
    return absl::FailedPreconditionError(
        "--replace-lost-signing-key: keys/audit-signing.key is the key that "
        "signed this trail's checkpoints; start without it");
  }
  opened.signer = *std::move(signer);
  return opened;
}

}  // namespace ketenhub
