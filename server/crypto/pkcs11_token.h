#ifndef KETENHUB_SERVER_CRYPTO_PKCS11_TOKEN_H_
#define KETENHUB_SERVER_CRYPTO_PKCS11_TOKEN_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ketenhub {

// The hub's keys in a token, by label: "ketenhub-<kek id>" for each KEK,
// and the pseudonym key and the audit signing key (pair); and the systemd
// credential that holds the PIN when the config names no pin file.
inline constexpr char kTokenKekLabelPrefix[] = "ketenhub-";
inline constexpr char kTokenPseudonymLabel[] = "ketenhub-pseudonym";
inline constexpr char kTokenSigningLabel[] = "ketenhub-audit-signing";
inline constexpr char kTokenPinCredential[] = "ketenhub-token-pin";

// A PKCS#11 token (an HSM; SoftHSM2 in development and tests) that holds
// the hub's keys and does their work: AES-256-GCM sealing under a key-
// encryption key, HMAC-SHA256 under the pseudonym key, Ed25519 signing
// under the audit signing key. The keys are made in the token as
// sensitive, non-extractable token objects: their bytes never leave it.
// Keys are found by label. Thread-safe: each operation takes a session of
// its own from a pool.
class Pkcs11Token {
 public:
  using Handle = unsigned long;  // CK_OBJECT_HANDLE

  // Opens the token a `pkcs11:` URI (RFC 7512) names: `module-path` (the
  // module's shared library) and at least one of token, manufacturer,
  // serial or model; and logs in as the user with `pin`, which must not be
  // in the URI. FAILED_PRECONDITION naming what is wrong: a malformed URI,
  // a pin-value in it, a module that does not load, no matching token, a
  // wrong PIN.
  static absl::StatusOr<std::shared_ptr<Pkcs11Token>> Open(
      const std::string& uri, const std::string& pin);

  ~Pkcs11Token();
  Pkcs11Token(const Pkcs11Token&) = delete;
  Pkcs11Token& operator=(const Pkcs11Token&) = delete;

  // The secret key (AES or HMAC) or Ed25519 private key labelled `label`,
  // or nullopt when the token has none.
  absl::StatusOr<std::optional<Handle>> FindSecretKey(absl::string_view label);
  absl::StatusOr<std::optional<Handle>> FindPrivateKey(absl::string_view label);
  // The labels of the secret keys whose label starts with `prefix`.
  absl::StatusOr<std::vector<std::string>> SecretKeyLabels(
      absl::string_view prefix);

  // Makes a key in the token: AES-256 (wrapping), a 32-byte HMAC key, an
  // Ed25519 key pair (the private half under `label`, the public half
  // too). Sensitive, non-extractable, kept in the token.
  absl::StatusOr<Handle> GenerateAesKey(absl::string_view label);
  absl::StatusOr<Handle> GenerateHmacKey(absl::string_view label);
  absl::StatusOr<Handle> GenerateEd25519Key(absl::string_view label);

  // Moves a key that lived in a file into the token (ketenhub-admin
  // move-keys-to-token): the same kinds and attributes as the Generate
  // calls, from the key's bytes; for Ed25519 the 32-byte private and
  // public keys.
  absl::StatusOr<Handle> ImportAesKey(absl::string_view label,
                                      absl::string_view key);
  absl::StatusOr<Handle> ImportHmacKey(absl::string_view label,
                                       absl::string_view key);
  absl::StatusOr<Handle> ImportEd25519Key(absl::string_view label,
                                          absl::string_view private_key,
                                          absl::string_view public_key);

  // AES-256-GCM under `key` with a 12-byte `nonce`: the ciphertext with its
  // 16-byte tag appended, as aead::Seal; Open answers DATA_LOSS when the
  // tag does not verify.
  absl::StatusOr<std::string> Seal(Handle key, absl::string_view nonce,
                                   absl::string_view plaintext,
                                   absl::string_view associated_data);
  absl::StatusOr<std::string> Open(Handle key, absl::string_view nonce,
                                   absl::string_view sealed,
                                   absl::string_view associated_data);
  // HMAC-SHA256 of `data` under `key` (32 bytes).
  absl::StatusOr<std::string> Hmac(Handle key, absl::string_view data);
  // An Ed25519 signature (64 bytes) of `data` under the private `key`.
  absl::StatusOr<std::string> Sign(Handle key, absl::string_view data);
  // The raw 32-byte public key of the Ed25519 pair labelled `label`.
  absl::StatusOr<std::string> Ed25519PublicKey(absl::string_view label);

  // The token's label, for logs and errors.
  const std::string& label() const { return token_label_; }

 private:
  class Impl;
  explicit Pkcs11Token(std::unique_ptr<Impl> impl, std::string token_label);
  // ImportAesKey and ImportHmacKey: a secret key of `key_type` (CKK_*),
  // for sealing or, `for_mac`, for HMAC.
  absl::StatusOr<Handle> ImportSecretKey(absl::string_view label,
                                         absl::string_view bytes,
                                         unsigned long key_type, bool for_mac);

  std::unique_ptr<Impl> impl_;
  const std::string token_label_;
};

// The PIN for a token: the first line of `pin_file` (which must not be
// readable by others), or, with `pin_file` empty, the systemd credential
// `credential` ($CREDENTIALS_DIRECTORY/<credential>, from the unit's
// LoadCredential=). FAILED_PRECONDITION naming the file otherwise.
absl::StatusOr<std::string> ReadTokenPin(const std::string& pin_file,
                                         const std::string& credential);

// Opens the token at `uri` with the PIN ReadTokenPin finds (`pin_file`, or
// the credential kTokenPinCredential), wiping the PIN after the login.
absl::StatusOr<std::shared_ptr<Pkcs11Token>> OpenTokenWithPinFrom(
    const std::string& uri, const std::string& pin_file);

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_CRYPTO_PKCS11_TOKEN_H_
