#include "server/service/audit_checkpoints.h"

#include <filesystem>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "server/common/json_log.h"
#include "server/common/metrics.h"
#include "server/service/audited_call.h"
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
  const std::shared_ptr<const v1::SignedCheckpoint> last =
      store.audit().NewestCheckpoint();
  const std::string key_file = key_dir + "/audit-signing.key";
  const std::string restore =
      "restore it from its backup (operator guide, 'Keys'); the hub makes no "
      "new signing key for a trail with checkpoints unless told "
      "--replace-lost-signing-key, which the trail records";
  std::error_code error;
  const bool present = std::filesystem::exists(key_file, error);
  if (replace_lost && last == nullptr) {
    return absl::FailedPreconditionError(
        "--replace-lost-signing-key: this trail has no checkpoints, so no key "
        "is lost; start without it");
  }
  if (last != nullptr && !present && !replace_lost) {
    return absl::FailedPreconditionError(absl::StrCat(
        "keys/audit-signing.key: missing, but this trail's checkpoints are "
        "signed by key id ",
        last->key_id().substr(0, 16), "...: ", restore));
  }
  absl::StatusOr<std::unique_ptr<CheckpointSigner>> signer =
      CheckpointSigner::OpenOrCreate(key_file, key_dir + "/audit-signing.pub");
  if (!signer.ok()) return signer.status();
  OpenedSigner opened;
  if (last != nullptr && last->key_id() != (*signer)->key_id()) {
    if (!replace_lost) {
      return absl::FailedPreconditionError(absl::StrCat(
          "keys/audit-signing.key: not the key that signed this trail's "
          "checkpoints (key id ",
          last->key_id().substr(0, 16), "..., the file's is ",
          (*signer)->key_id().substr(0, 16), "...): ", restore));
    }
    opened.replaced_key_id = last->key_id();
  } else if (replace_lost) {
    return absl::FailedPreconditionError(
        "--replace-lost-signing-key: keys/audit-signing.key is the key that "
        "signed this trail's checkpoints; start without it");
  }
  opened.signer = *std::move(signer);
  return opened;
}

// Commits `record` (outcome OK) and waits until it is on disk.
absl::Status RecordNow(SignalStore& store, v1::AuditRecord record) {
  absl::Notification done;
  absl::Status written;
  RecordOutcome(store, std::move(record), absl::OkStatus(),
                [&](absl::Status status) {
                  written = status;
                  done.Notify();
                });
  done.WaitForNotification();
  return written;
}

// Records this start in the trail before anything is served (fail closed):
// what the trail looked like, which keys and which policy the hub starts
// with, so that a change made while it was stopped (a restored backup, a
// key put in place, a policy edited) shows between two starts.
absl::Status RecordStart(SignalStore& store, const CheckpointSigner& signer,
                         const SubjectPseudonymizer& pseudonymizer,
                         const AccessPolicy& policy) {
  v1::AuditRecord record = HubRecord("hub_start", policy);
  auto& details = *record.mutable_details();
  const AuditTrail::TreeHead head = store.audit().Head();
  details["previous_tree_size"] = absl::StrCat(head.size);
  details["previous_root"] = absl::BytesToHexString(head.root);
  if (std::shared_ptr<const v1::SignedCheckpoint> last =
          store.audit().NewestCheckpoint()) {
    details["last_checkpoint_size"] = absl::StrCat(last->tree_size());
  }
  details["audit_key_id"] = signer.key_id();
  details["kek_ids"] = absl::StrJoin(store.maintenance().KekIds(), ",");
  details["pseudonym_key_check"] = pseudonymizer.KeyCheck();
  details["policy_text"] = policy.text();
  return RecordNow(store, std::move(record));
}

// Records the operator's explicit replacement of a lost signing key: from
// here on checkpoints are signed by `new_key_id`; earlier ones stay
// verifiable with the old public key only.
absl::Status RecordKeyReplaced(SignalStore& store, const AccessPolicy& policy,
                               const std::string& old_key_id,
                               const std::string& new_key_id,
                               const std::string& reason) {
  v1::AuditRecord record = HubRecord("signing_key_replaced", policy);
  auto& details = *record.mutable_details();
  details["previous_key_id"] = old_key_id;
  details["new_key_id"] = new_key_id;
  details["reason"] = reason;
  LogEvent(LogLevel::kWarning, "signing_key_replaced",
           {{"previous_key_id", old_key_id}, {"new_key_id", new_key_id}});
  return RecordNow(store, std::move(record));
}

// Records the operator's explicit acceptance of lost KEKs (`lost`): the
// signals under them can never be read again; new data keys are wrapped by
// the current KEK.
absl::Status RecordKekReplaced(SignalStore& store, const AccessPolicy& policy,
                               const std::vector<std::string>& lost,
                               const std::string& reason) {
  v1::AuditRecord record = HubRecord("kek_replaced", policy);
  auto& details = *record.mutable_details();
  details["lost_kek_ids"] = absl::StrJoin(lost, ",");
  details["current_kek_id"] = store.maintenance().KekIds().front();
  details["reason"] = reason;
  LogEvent(LogLevel::kWarning, "kek_replaced",
           {{"lost_kek_ids", details["lost_kek_ids"]}});
  return RecordNow(store, std::move(record));
}

}  // namespace ketenhub
