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

namespace ketenhub {

// The hub's key-encryption keys (KEKs): 32-byte files `<id>.key` (mode 0600)
// in one folder, with the id of the one that wraps new data keys in the file
// `current`. They never enter RocksDB. Thread-safe.
class KekRing {
 public:
  // Loads every key in `dir`, creating the folder (0700) and a first key
  // when there is none. FAILED_PRECONDITION for a key file of the wrong size
  // or readable by others, or a `current` naming no loaded key.
  static absl::StatusOr<std::unique_ptr<KekRing>> OpenOrCreate(
      const std::string& dir);

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

  // Creates a new KEK file and makes it current; returns its id.
  absl::StatusOr<std::string> Rotate();

 private:
  explicit KekRing(std::string dir) : dir_(std::move(dir)) {}
  absl::Status Load();

  const std::string dir_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::string> keys_ ABSL_GUARDED_BY(mu_);
  std::string current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_CRYPTO_KEK_RING_H_
