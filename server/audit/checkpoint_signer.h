#ifndef KETENHUB_SERVER_AUDIT_CHECKPOINT_SIGNER_H_
#define KETENHUB_SERVER_AUDIT_CHECKPOINT_SIGNER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ketenhub/v1/audit.pb.h"
#include "server/audit/checkpoint.h"
#include "server/crypto/pkcs11_token.h"

namespace ketenhub {

// Signs audit tree heads with the hub's Ed25519 key. Thread-safe.
class CheckpointSigner {
 public:
  // Opens `key_file` (PKCS#8 PEM, mode 0600), creating the key on first
  // start, and writes its public key to `public_key_file` (PEM) for
  // auditors. FAILED_PRECONDITION when the file is unreadable, not an
  // Ed25519 key or readable by others.
  static absl::StatusOr<std::unique_ptr<CheckpointSigner>> OpenOrCreate(
      const std::string& key_file, const std::string& public_key_file);

  // The key pair labelled `label` in `token` (made there on first start,
  // never extractable), its public key written to `public_key_file`.
  static absl::StatusOr<std::unique_ptr<CheckpointSigner>> InToken(
      std::shared_ptr<Pkcs11Token> token, const std::string& label,
      const std::string& public_key_file);

  virtual ~CheckpointSigner() = default;

  virtual v1::SignedCheckpoint Sign(uint64_t tree_size,
                                    absl::string_view root_hash,
                                    absl::Time time) const = 0;
  // An Ed25519 signature over `bytes` (empty only if OpenSSL failed): the
  // witness signs its cosignatures (CosignatureText) so.
  virtual std::string SignBytes(absl::string_view bytes) const = 0;
  virtual const std::string& public_key_pem() const = 0;
  virtual const std::string& key_id() const = 0;
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_AUDIT_CHECKPOINT_SIGNER_H_
