#ifndef KETENHUB_SERVER_CRYPTO_AEAD_H_
#define KETENHUB_SERVER_CRYPTO_AEAD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

// AES-256-GCM through OpenSSL EVP. Thread-safe.
namespace ketenhub::aead {

inline constexpr size_t kKeyBytes = 32;
inline constexpr size_t kNonceBytes = 12;
inline constexpr size_t kTagBytes = 16;

// `n` bytes from OpenSSL's CSPRNG.
std::string RandomBytes(size_t n);

// Ciphertext with the tag appended. INTERNAL if OpenSSL fails.
absl::StatusOr<std::string> Seal(absl::string_view key, absl::string_view nonce,
                                 absl::string_view plaintext,
                                 absl::string_view associated_data);

// The plaintext; DATA_LOSS when the tag does not verify (altered ciphertext,
// wrong key or wrong associated data).
absl::StatusOr<std::string> Open(absl::string_view key, absl::string_view nonce,
                                 absl::string_view sealed,
                                 absl::string_view associated_data);

}  // namespace ketenhub::aead

#endif  // KETENHUB_SERVER_CRYPTO_AEAD_H_
