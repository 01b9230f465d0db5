#ifndef KETENHUB_SERVER_AUDIT_CHECKPOINT_H_
#define KETENHUB_SERVER_AUDIT_CHECKPOINT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ketenhub/v1/audit.pb.h"

namespace ketenhub {

// The bytes a SignedCheckpoint's signature covers (see audit.proto).
std::string CheckpointText(const v1::SignedCheckpoint& checkpoint);

// Signs audit tree heads with the hub's Ed25519 key. Thread-safe.
class CheckpointSigner {
 public:
  // Opens `key_file` (PKCS#8 PEM, mode 0600), creating the key on first
  // start, and writes its public key to `public_key_file` (PEM) for
  // auditors. FAILED_PRECONDITION when the file is unreadable, not an
  // Ed25519 key or readable by others.
  static absl::StatusOr<std::unique_ptr<CheckpointSigner>> OpenOrCreate(
      const std::string& key_file, const std::string& public_key_file);

  virtual ~CheckpointSigner() = default;

  virtual v1::SignedCheckpoint Sign(uint64_t tree_size,
                                    absl::string_view root_hash,
                                    absl::Time time) const = 0;
  virtual const std::string& public_key_pem() const = 0;
  virtual const std::string& key_id() const = 0;
};

// OK when `checkpoint` is signed by `public_key_pem` (an Ed25519 PEM public
// key); INVALID_ARGUMENT for an unreadable key, DATA_LOSS for a bad signature
// or a checkpoint of another key.
absl::Status VerifyCheckpoint(const v1::SignedCheckpoint& checkpoint,
                              absl::string_view public_key_pem);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_AUDIT_CHECKPOINT_H_
