#include "server/service/audit_checkpoints.h"

#include <filesystem>
#include <future>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "server/common/files.h"
#include "server/common/json_log.h"
#include "server/common/metrics.h"
#include "server/common/status_macros.h"
#include "server/common/text_proto.h"
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

absl::StatusOr<OpenedSigner> OpenSigner(
    const std::string& key_dir, const SignalStore& store, bool replace_lost,
    const std::shared_ptr<Pkcs11Token>& token) {
  const std::shared_ptr<const v1::SignedCheckpoint> last =
      store.audit().NewestCheckpoint();
  const std::string key_file = key_dir + "/audit-signing.key";
  const std::string restore =
      "restore it from its backup (operator guide, 'Keys'); the hub makes no "
      "new signing key for a trail with checkpoints unless told "
      "--replace-lost-signing-key, which the trail records";
  std::error_code error;
  bool present = std::filesystem::exists(key_file, error);
  if (token != nullptr) {
    absl::StatusOr<std::optional<Pkcs11Token::Handle>> in_token =
        token->FindPrivateKey(kTokenSigningLabel);
    if (!in_token.ok()) return in_token.status();
    present = in_token->has_value();
  }
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
      token != nullptr
          ? CheckpointSigner::InToken(token, kTokenSigningLabel,
                                      key_dir + "/audit-signing.pub")
          : CheckpointSigner::OpenOrCreate(key_file,
                                           key_dir + "/audit-signing.pub");
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

absl::Status KeepCosignatures(const std::vector<v1::Cosignature>& all,
                              const std::string& cosigned_file) {
  v1::WitnessCheckpoint kept;
  for (const v1::Cosignature& cosignature : all)
    *kept.add_cosignatures() = cosignature;
  const std::string temporary = cosigned_file + ".tmp";
  KETENHUB_RETURN_IF_ERROR(
      WritePrivateFile(temporary, kept.SerializeAsString()));
  std::error_code error;
  std::filesystem::rename(temporary, cosigned_file, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot write ", cosigned_file, ": ", error.message()));
  }
  return absl::OkStatus();
}

namespace {

// The store's cosignatures and the file's, the larger tree per witness.
absl::StatusOr<std::vector<v1::Cosignature>> AllCosignatures(
    SignalStore& store, const std::string& cosigned_file) {
  absl::StatusOr<std::vector<v1::Cosignature>> stored =
      store.audit().Cosignatures();
  KETENHUB_RETURN_IF_ERROR(stored.status());
  std::map<std::string, v1::Cosignature> by_witness;
  for (v1::Cosignature& cosignature : *stored)
    by_witness[cosignature.witness_key_id()] = std::move(cosignature);
  std::error_code error;
  if (std::filesystem::exists(cosigned_file, error)) {
    absl::StatusOr<std::string> bytes = ReadFileToString(cosigned_file);
    v1::WitnessCheckpoint kept;
    if (!bytes.ok() || !kept.ParseFromString(*bytes)) {
      return absl::DataLossError(absl::StrCat(
          cosigned_file, " (the witnesses' cosignatures) is unreadable"));
    }
    for (const v1::Cosignature& cosignature : kept.cosignatures()) {
      v1::Cosignature& known = by_witness[cosignature.witness_key_id()];
      if (cosignature.tree_size() >= known.tree_size()) known = cosignature;
    }
  }
  std::vector<v1::Cosignature> all;
  for (auto& [id, cosignature] : by_witness) all.push_back(cosignature);
  return all;
}

}  // namespace

absl::Status CheckCosignedTrail(SignalStore& store, const AccessPolicy& policy,
                                const std::string& cosigned_file,
                                const std::string& accept_reason) {
  absl::StatusOr<std::vector<v1::Cosignature>> cosignatures =
      AllCosignatures(store, cosigned_file);
  KETENHUB_RETURN_IF_ERROR(cosignatures.status());
  const AuditTrail::TreeHead head = store.audit().Head();
  std::string problem;
  std::vector<std::string> contradicted;
  std::vector<v1::Cosignature> consistent;
  uint64_t largest = 0;
  for (const v1::Cosignature& cosignature : *cosignatures) {
    absl::StatusOr<std::string> root =
        cosignature.tree_size() <= head.size
            ? store.audit().RootAt(cosignature.tree_size())
            : absl::StatusOr<std::string>(absl::OutOfRangeError(""));
    if (root.ok() && *root == cosignature.root_hash()) {
      consistent.push_back(cosignature);
      continue;
    }
    contradicted.push_back(cosignature.witness_key_id());
    if (cosignature.tree_size() < largest) continue;
    largest = cosignature.tree_size();
    const std::string witness = cosignature.witness_key_id().substr(0, 16);
    problem =
        root.ok()
            ? absl::StrCat("the audit trail's first ", cosignature.tree_size(),
                           " records have another root than witness ", witness,
                           " cosigned: the trail was rewritten")
            : absl::StrCat("the audit trail has ", head.size,
                           " records, but witness ", witness, " cosigned ",
                           cosignature.tree_size(),
                           ": it was rolled back (an older backup restored?)");
  }
  if (contradicted.empty()) {
    if (accept_reason.empty()) return absl::OkStatus();
    return absl::FailedPreconditionError(
        "--accept-rollback: the trail extends every witness's cosignature; "
        "start without it");
  }
  if (accept_reason.empty()) {
    LogEvent(LogLevel::kError, "trail_behind_witness", {{"problem", problem}});
    return absl::FailedPreconditionError(absl::StrCat(
        problem,
        ". Find out who restored or changed the data folder. To start on it "
        "anyway (a restore you intend), give --accept-rollback REASON: the "
        "trail records it, and the witness's operator must reset the "
        "witness"));
  }
  v1::AuditRecord record = HubRecord("rollback_accepted", policy);
  auto& details = *record.mutable_details();
  details["problem"] = problem;
  details["found_size"] = absl::StrCat(head.size);
  details["witness_key_ids"] = absl::StrJoin(contradicted, ",");
  details["reason"] = accept_reason;
  LogEvent(LogLevel::kWarning, "rollback_accepted", {{"problem", problem}});
  std::promise<absl::Status> done;
  store.audit().ForgetCosignatures(
      std::move(contradicted), std::move(record),
      [&done](absl::Status s) { done.set_value(std::move(s)); });
  KETENHUB_RETURN_IF_ERROR(done.get_future().get());
  return KeepCosignatures(consistent, cosigned_file);
}

}  // namespace ketenhub
