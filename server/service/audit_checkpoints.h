#ifndef KETENHUB_SERVER_SERVICE_AUDIT_CHECKPOINTS_H_
#define KETENHUB_SERVER_SERVICE_AUDIT_CHECKPOINTS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "ketenhub/v1/audit.pb.h"
#include "server/audit/checkpoint_signer.h"
#include "server/crypto/pkcs11_token.h"
#include "server/policy/access_policy.h"
#include "server/security/subject_pseudonymizer.h"
#include "server/storage/signal_store.h"

namespace ketenhub {

// Signs the trail's committed audit tree head and stores the checkpoint;
// `done` gets it once it is on disk.
void SignAndStoreCheckpoint(
    AuditTrail& trail, const CheckpointSigner& signer,
    absl::AnyInvocable<void(absl::StatusOr<v1::SignedCheckpoint>) &&> done);

// Signs and stores the audit tree head when it grew past `signed_size`
// (updated); blocks until it is stored. Failures are logged.
void SignIfGrown(SignalStore& store, const CheckpointSigner& signer,
                 uint64_t& signed_size);

// The audit signing key in `key_dir`, made only for a trail that has no
// checkpoints yet: a missing key, or another key than the one that signed
// the stored checkpoints, stops the hub (a new key would leave every
// checkpoint an auditor saved unverifiable). With `replace_lost` (the
// operator's explicit --replace-lost-signing-key) such a key is made or
// taken instead, and `replaced_key_id` names the one it replaces, for the
// trail; asked when nothing is lost, it refuses. With `token`, the key is
// the token's (kTokenSigningLabel), made there; only its public half is a
// file in `key_dir`.
struct OpenedSigner {
  std::unique_ptr<CheckpointSigner> signer;
  std::string replaced_key_id;  // empty: no key was replaced
};
absl::StatusOr<OpenedSigner> OpenSigner(
    const std::string& key_dir, const SignalStore& store, bool replace_lost,
    const std::shared_ptr<Pkcs11Token>& token = nullptr);

// The hub's own records of itself, each committed before the caller goes
// on (fail closed: an error stops the start).

// Commits `record` (outcome OK) and waits until it is on disk.
absl::Status RecordNow(SignalStore& store, v1::AuditRecord record);

// hub_start: the trail as found (size, root, last checkpoint), the signing
// key id, the KEK ids, the pseudonym key check and the policy text.
absl::Status RecordStart(SignalStore& store, const CheckpointSigner& signer,
                         const SubjectPseudonymizer& pseudonymizer,
                         const AccessPolicy& policy);

// signing_key_replaced, after --replace-lost-signing-key.
absl::Status RecordKeyReplaced(SignalStore& store, const AccessPolicy& policy,
                               const std::string& old_key_id,
                               const std::string& new_key_id,
                               const std::string& reason);

// kek_replaced, after --replace-lost-kek.
absl::Status RecordKekReplaced(SignalStore& store, const AccessPolicy& policy,
                               const std::vector<std::string>& lost,
                               const std::string& reason);

// The witnesses' newest cosignatures are also kept outside the database,
// in `cosigned_file` (data_dir/cosigned, 0600): restoring an older database
// does not take them back.
absl::Status KeepCosignatures(const std::vector<v1::Cosignature>& all,
                              const std::string& cosigned_file);

// Whether the trail extends every tree a witness cosigned, as the store and
// `cosigned_file` hold them (the hub may not start on a trail rolled back or
// rewritten behind a witness's back): FAILED_PRECONDITION naming both
// sizes, or the root, when not. With `accept_reason` (--accept-rollback,
// after a restore the operator intends) such a trail is accepted instead:
// recorded as rollback_accepted with the sizes, and the cosignatures it
// contradicts are dropped from both; refused when there is nothing to accept.
absl::Status CheckCosignedTrail(SignalStore& store, const AccessPolicy& policy,
                                const std::string& cosigned_file,
                                const std::string& accept_reason);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_SERVICE_AUDIT_CHECKPOINTS_H_
