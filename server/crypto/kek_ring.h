#ifndef KETENHUB_SERVER_CRYPTO_KEK_RING_H_
#define KETENHUB_SERVER_CRYPTO_KEK_RING_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "ketenhub/v1/storage.pb.h"
#include "server/common/core_dumps.h"
#include "server/crypto/pkcs11_token.h"

namespace ketenhub {

// The hub's key-encryption keys (KEKs): 32-byte files `<id>.key` (mode 0600)
// in one folder, with the id of the one that wraps new data keys in the file
// `current`. They never enter RocksDB. Thread-safe.
class KekRing {
 public:
  // Loads every key in `dir`, creating the folder (0700) and a first key
  // when there is none. FAILED_PRECONDITION for a key file of the wrong size
  // or readable by others, or a `current` naming no loaded key.
  // With `token`, new KEKs are made in the PKCS#11 token (labelled
  // "ketenhub-<id>", never extractable) and wrap and unwrap there; KEK files
  // still in `dir` keep opening the data keys they wrapped, until a
  // rotation moves those into the token. `dir` then keeps only `current`.
  static absl::StatusOr<std::unique_ptr<KekRing>> OpenOrCreate(
      const std::string& dir, std::shared_ptr<Pkcs11Token> token = nullptr);

  KekRing(const KekRing&) = delete;
  KekRing& operator=(const KekRing&) = delete;
  ~KekRing();

  std::string current_id() const;
  std::vector<std::string> ids() const;

  // Wraps data key `key` of signal `signal_id` under the current KEK.
  absl::StatusOr<v1::storage::WrappedDataKey> Wrap(
      absl::string_view signal_id, absl::string_view data_key_id,
      absl::string_view key) const;
  // The data key; FAILED_PRECONDITION when its KEK is not in the ring,
  // DATA_LOSS when the wrapped key was altered.
  absl::StatusOr<std::string> Unwrap(
      absl::string_view signal_id,
      const v1::storage::WrappedDataKey& wrapped) const;

  // Creates a new KEK (in the token, if the ring has one, else a file) and
  // makes it current; returns its id.
  absl::StatusOr<std::string> Rotate();

 private:
  KekRing(std::string dir, std::shared_ptr<Pkcs11Token> token)
      : dir_(std::move(dir)), token_(std::move(token)) {}
  absl::Status Load();
  absl::StatusOr<std::map<std::string, Pkcs11Token::Handle>> LoadFromToken();

  const std::string dir_;
  const std::shared_ptr<Pkcs11Token> token_;
  mutable absl::Mutex mu_;
  // From files, in locked memory (SecretBytes).
  std::map<std::string, std::shared_ptr<const SecretBytes>> keys_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, Pkcs11Token::Handle> token_keys_ ABSL_GUARDED_BY(mu_);
  std::string current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_CRYPTO_KEK_RING_H_
