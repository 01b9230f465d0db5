#ifndef KETENHUB_SERVER_STORAGE_PAYLOAD_CIPHER_H_
#define KETENHUB_SERVER_STORAGE_PAYLOAD_CIPHER_H_

#include "absl/status/statusor.h"
#include "ketenhub/v1/storage.pb.h"
#include "server/crypto/kek_ring.h"

namespace ketenhub {

// Internal to the storage layer: a signal's content under its own data key.

// The bytes a signal's content is sealed and hashed from: its deterministic
// serialization. They hold the content in clear: wipe them after use.
std::string ContentBytes(const v1::Signal& signal);

// Encrypts `plaintext` (the ContentBytes of the signal's content) into
// `signal.payload` under a new random data key, bound to `signal.signal_id`,
// and returns that key wrapped by the ring's current KEK.
absl::StatusOr<v1::storage::WrappedDataKey> SealPayload(
    const KekRing& keys, absl::string_view plaintext,
    v1::storage::StoredSignal& signal);
// As above, for `signal.signal()`.
absl::StatusOr<v1::storage::WrappedDataKey> SealPayload(
    const KekRing& keys, v1::storage::StoredSignal& signal);

// Decrypts `signal.payload` with the unwrapped `data_key` into
// `signal.signal`. DATA_LOSS naming the signal when the ciphertext, the key
// or their binding to the signal was altered.
absl::Status OpenPayload(const KekRing& keys,
                         const v1::storage::WrappedDataKey& data_key,
                         v1::storage::StoredSignal& signal);

// `wrapped` (signal `signal_id`'s data key) under the ring's current KEK: as
// it is when it already is, else unwrapped and wrapped again. Every data key
// is written through this on the commit thread, so a key sealed before a
// KEK rotation and committed after it never lands under the old KEK.
absl::StatusOr<v1::storage::WrappedDataKey> UnderCurrentKek(
    const KekRing& keys, const std::string& signal_id,
    const v1::storage::WrappedDataKey& wrapped);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_STORAGE_PAYLOAD_CIPHER_H_
