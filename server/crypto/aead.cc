#include "server/crypto/aead.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

namespace ketenhub::aead {
namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Fetched once: OpenSSL 3 looks an implicitly fetched cipher up again on
// every use, under a lock.
const EVP_CIPHER* Aes256Gcm() {
  static EVP_CIPHER* const cipher =
      EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

bool ValidSizes(absl::string_view key, absl::string_view nonce) {
  return key.size() == kKeyBytes && nonce.size() == kNonceBytes;
}

}  // namespace

std::string RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()),
                 static_cast<int>(n)) != 1) {
    return "";
  }
  return bytes;
}

absl::StatusOr<std::string> Seal(absl::string_view key, absl::string_view nonce,
                                 absl::string_view plaintext,
                                 absl::string_view associated_data) {
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  std::string out(plaintext.size() + kTagBytes, '\0');
  auto* data = reinterpret_cast<unsigned char*>(out.data());
  int length = 0;
  int final_length = 0;
  if (!ctx || !ValidSizes(key, nonce) ||
      EVP_EncryptInit_ex(ctx.get(), Aes256Gcm(), nullptr, Bytes(key),
                         Bytes(nonce)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &length, Bytes(associated_data),
                        static_cast<int>(associated_data.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), data, &length, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), data + length, &final_length) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          data + plaintext.size()) != 1) {
    return absl::InternalError("encryption failed");
  }
  return out;
}

absl::StatusOr<std::string> Open(absl::string_view key, absl::string_view nonce,
                                 absl::string_view sealed,
                                 absl::string_view associated_data) {
  if (sealed.size() < kTagBytes || !ValidSizes(key, nonce))
    return absl::DataLossError("sealed data malformed");
  const size_t size = sealed.size() - kTagBytes;
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  std::string out(size, '\0');
  auto* data = reinterpret_cast<unsigned char*>(out.data());
  std::string tag(sealed.substr(size));
  int length = 0;
  int final_length = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), Aes256Gcm(), nullptr, Bytes(key),
                         Bytes(nonce)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &length, Bytes(associated_data),
                        static_cast<int>(associated_data.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), data, &length, Bytes(sealed),
                        static_cast<int>(size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes,
                          tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), data + length, &final_length) != 1) {
    return absl::DataLossError("authentication tag does not verify");
  }
  return out;
}

}  // namespace ketenhub::aead
