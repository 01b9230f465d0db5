#ifndef KETENHUB_SERVER_AUDIT_CHECKPOINT_H_
#define KETENHUB_SERVER_AUDIT_CHECKPOINT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ketenhub/v1/audit.pb.h"

// Signed checkpoints (tree heads) of the audit trail, as anyone verifies
// them: part of the pure verification code the client library shares with
// the hub. The hub's signing key is in checkpoint_signer.h.
namespace ketenhub {

// The bytes a SignedCheckpoint's signature covers (see audit.proto).
std::string CheckpointText(const v1::SignedCheckpoint& checkpoint);

// The key id a checkpoint signed by `public_key_pem` (an Ed25519 PEM public
// key) carries: the SHA-256 of its DER form, in hex. INVALID_ARGUMENT for
// anything else.
absl::StatusOr<std::string> CheckpointKeyId(absl::string_view public_key_pem);

// OK when `checkpoint` is signed by `public_key_pem` (an Ed25519 PEM public
// key); INVALID_ARGUMENT for an unreadable key, DATA_LOSS for a bad signature
// or a checkpoint of another key.
absl::Status VerifyCheckpoint(const v1::SignedCheckpoint& checkpoint,
                              absl::string_view public_key_pem);

// The bytes a Cosignature's signature covers (see audit.proto).
std::string CosignatureText(const v1::Cosignature& cosignature);

// OK when `cosignature` is signed by `witness_key_pem` (an Ed25519 PEM
// public key) and names that key; INVALID_ARGUMENT for an unreadable key,
// DATA_LOSS for a bad signature or another key.
absl::Status VerifyCosignature(const v1::Cosignature& cosignature,
                               absl::string_view witness_key_pem);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_AUDIT_CHECKPOINT_H_
