#include "server/storage/payload_cipher.h"

#include <openssl/crypto.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "server/crypto/aead.h"

namespace ketenhub {
namespace {

std::string AssociatedData(absl::string_view signal_id,
                           absl::string_view data_key_id) {
  return absl::StrCat(signal_id, absl::string_view("\0", 1), data_key_id);
}

absl::Status Altered(absl::string_view signal_id) {
  return absl::DataLossError(absl::StrCat(
      "signal ", signal_id, ": stored content fails its integrity check"));
}

}  // namespace

std::string ContentBytes(const v1::Signal& signal) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  signal.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

absl::StatusOr<v1::storage::WrappedDataKey> SealPayload(
    const KekRing& keys, v1::storage::StoredSignal& signal) {
  std::string plaintext = ContentBytes(signal.signal());
  absl::StatusOr<v1::storage::WrappedDataKey> wrapped =
      SealPayload(keys, plaintext, signal);
  OPENSSL_cleanse(plaintext.data(), plaintext.size());
  return wrapped;
}

absl::StatusOr<v1::storage::WrappedDataKey> SealPayload(
    const KekRing& keys, absl::string_view plaintext,
    v1::storage::StoredSignal& signal) {
  // One draw from the generator: key, key id, nonce.
  std::string random =
      aead::RandomBytes(aead::kKeyBytes + 8 + aead::kNonceBytes);
  if (random.empty()) return absl::InternalError("random generator failed");
  std::string data_key = random.substr(0, aead::kKeyBytes);
  const std::string data_key_id =
      absl::BytesToHexString(random.substr(aead::kKeyBytes, 8));
  v1::storage::EncryptedPayload* payload = signal.mutable_payload();
  payload->set_data_key_id(data_key_id);
  payload->set_nonce(random.substr(aead::kKeyBytes + 8));
  OPENSSL_cleanse(random.data(), random.size());
  absl::StatusOr<std::string> sealed =
      aead::Seal(data_key, payload->nonce(), plaintext,
                 AssociatedData(signal.signal_id(), data_key_id));
  absl::StatusOr<v1::storage::WrappedDataKey> wrapped =
      sealed.ok()
          ? keys.Wrap(signal.signal_id(), data_key_id, data_key)
          : absl::StatusOr<v1::storage::WrappedDataKey>(sealed.status());
  OPENSSL_cleanse(data_key.data(), data_key.size());
  if (!wrapped.ok()) return wrapped.status();
  payload->set_ciphertext(*std::move(sealed));
  return wrapped;
}

absl::Status OpenPayload(const KekRing& keys,
                         const v1::storage::WrappedDataKey& data_key,
                         v1::storage::StoredSignal& signal) {
  const v1::storage::EncryptedPayload& payload = signal.payload();
  if (data_key.data_key_id() != payload.data_key_id())
    return Altered(signal.signal_id());
  absl::StatusOr<std::string> key = keys.Unwrap(signal.signal_id(), data_key);
  if (absl::IsDataLoss(key.status())) return Altered(signal.signal_id());
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> plaintext =
      aead::Open(*key, payload.nonce(), payload.ciphertext(),
                 AssociatedData(signal.signal_id(), payload.data_key_id()));
  OPENSSL_cleanse(key->data(), key->size());
  if (!plaintext.ok()) return Altered(signal.signal_id());
  const bool parsed = signal.mutable_signal()->ParseFromString(*plaintext);
  OPENSSL_cleanse(plaintext->data(), plaintext->size());
  if (!parsed) return Altered(signal.signal_id());
  return absl::OkStatus();
}

absl::StatusOr<v1::storage::WrappedDataKey> UnderCurrentKek(
    const KekRing& keys, const std::string& signal_id,
    const v1::storage::WrappedDataKey& wrapped) {
  if (wrapped.kek_id() == keys.current_id()) return wrapped;
  absl::StatusOr<std::string> key = keys.Unwrap(signal_id, wrapped);
  if (!key.ok()) return key.status();
  absl::StatusOr<v1::storage::WrappedDataKey> again =
      keys.Wrap(signal_id, wrapped.data_key_id(), *key);
  OPENSSL_cleanse(key->data(), key->size());
  return again;
}

}  // namespace ketenhub
